"""An in-memory OS keyring for tests: a real `keyring` backend, installed with set_keyring.

It stands in for the operating system's secret store (Secret Service, Keychain, Credential
Locker), not for any of our code: `avala_desktop.inference.secrets` talks to it through the
public `keyring` API exactly as it talks to the real one.

    with memory_keyring() as ring:      # or the `keyring_backend` fixture in a test module
        ...
        ring.entries                    # {(service, username): password}
    with installed_keyring(BrokenKeyring()):   # every call raises KeyringError
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    # Low, so that a keyring re-initialisation in the test process never prefers it silently.
    priority = 0.1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(f"no entry for {username}")


class BrokenKeyring(keyring.backend.KeyringBackend):
    """A backend that exists but refuses every operation (a locked or crashed store)."""

    priority = 0.1

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")


@contextmanager
def installed_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@contextmanager
def memory_keyring() -> Iterator[MemoryKeyring]:
    ring = MemoryKeyring()
    with installed_keyring(ring):
        yield ring
