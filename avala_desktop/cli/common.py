"""What the command modules share: the exit code for "could not be carried out", the error
line, argparse types that check ranges, and the "key n, key n" rendering of counts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping

EXIT_OK = 0
EXIT_ERROR = 2


def error(message: str) -> int:
    """Print `error: message` on stderr; returns EXIT_ERROR for the command to return."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an int from `minimum` (to `maximum`, when given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if maximum is not None and not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be from {minimum} to {maximum}, got {value}")
        if value < minimum:
            limit = "0 or more" if minimum == 0 else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {limit}, got {value}")
        return value

    return parse


def unit_fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1 (a confidence threshold)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def pairs(counts: Mapping[str, int]) -> str:
    """`{"car": 2, "bus": 1}` -> `car 2, bus 1` (in the mapping's order)."""
    return ", ".join(f"{key} {value}" for key, value in counts.items())
