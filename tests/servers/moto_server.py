"""moto's server mode on 127.0.0.1 as a stand-in for IAM, STS and the SageMaker runtime.

moto keeps its state per process, so every fixture that uses it starts from `reset()`.
With `enforce_iam()` moto checks SigV4 signatures, identity policies and role trust
policies the way AWS does, which is how the tests get a real `AccessDenied` from AssumeRole
and from InvokeEndpoint. One gap: moto denies a *wrong* `sts:ExternalId` but lets a request
without one through, so tests that need the id to have been sent read `assumed_roles()`.
moto's InvokeEndpoint also only takes text bodies (binary bodies crash it with a 500): the
binary payload mode is tested against `sagemaker_runtime_server` instead.

Administrative calls (creating users and roles) use moto's root test credentials and must
happen before enforcement is switched on.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.client import BaseClient
from moto.server import ThreadedMotoServer

ACCOUNT_ID = "123456789012"
ROOT_KEY = "testing"


@dataclass(frozen=True)
class IamUser:
    arn: str
    access_key_id: str
    secret_access_key: str


def statement(
    action: str | list[str], resource: str = "*", effect: str = "Allow"
) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def policy(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class MotoServer:
    def __init__(self) -> None:
        # werkzeug logs every request at INFO to stderr; the tests' output stays readable.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> MotoServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self.set_auth_threshold("inf")
        self._server.stop()

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def admin_client(self, service: str, region: str = "us-east-1") -> BaseClient:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=ROOT_KEY,
            aws_secret_access_key=ROOT_KEY,
        )

    def reset(self) -> None:
        """Forget every user, role and queued result; switch IAM enforcement off."""
        self.set_auth_threshold("inf")
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def set_auth_threshold(self, count: str) -> None:
        """moto enforces IAM after `count` more requests ("inf": never)."""
        requests.post(
            f"{self.url}/moto-api/reset-auth", data=count.encode("ascii"), timeout=10
        ).raise_for_status()

    @contextmanager
    def enforce_iam(self) -> Iterator[None]:
        self.set_auth_threshold("0")
        try:
            yield
        finally:
            self.set_auth_threshold("inf")

    def create_user(self, name: str, *statements: Mapping[str, Any]) -> IamUser:
        iam = self.admin_client("iam")
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        if statements:
            iam.put_user_policy(
                UserName=name, PolicyName=f"{name}-policy", PolicyDocument=policy(*statements)
            )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return IamUser(
            arn=arn, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]
        )

    def create_role(
        self,
        name: str,
        *,
        trusted: Sequence[str],
        external_id: str | None = None,
        statements: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        trust: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"AWS": list(trusted)},
            "Action": "sts:AssumeRole",
        }
        if external_id is not None:
            trust["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        iam = self.admin_client("iam")
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(trust))["Role"]
        arn: str = role["Arn"]
        if statements:
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=policy(*statements)
            )
        return arn

    def assumed_roles(self) -> list[dict[str, Any]]:
        """Every AssumeRole moto granted since the last reset: role_arn, session_name,
        external_id, access_key_id (from moto's model dump, /moto-api/data.json)."""
        response = requests.get(f"{self.url}/moto-api/data.json", timeout=10)
        response.raise_for_status()
        roles: list[dict[str, Any]] = response.json().get("sts", {}).get("AssumedRole", [])
        return roles

    def queue_endpoint_results(
        self, results: Sequence[Mapping[str, Any]], *, region: str, account_id: str = ACCOUNT_ID
    ) -> None:
        """What moto's InvokeEndpoint answers next, one result per distinct request.

        Each result is {"Body": str, "ContentType": str, ...}; moto remembers which request
        got which result and answers an identical request again with the same one.
        """
        response = requests.post(
            f"{self.url}/moto-api/static/sagemaker/endpoint-results",
            json={"account_id": account_id, "region": region, "results": list(results)},
            timeout=10,
        )
        response.raise_for_status()


@contextmanager
def running_moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    try:
        server.reset()
        yield server
    finally:
        server.stop()


def isolate_aws_env(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No AWS setting of the machine running the tests leaks in (every AWS_* variable goes,
    config and credentials files point into `folder`) and nothing asks the EC2 metadata
    service on the network."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
