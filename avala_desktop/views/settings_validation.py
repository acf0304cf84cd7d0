"""Field-by-field validation of a provider form through the pydantic provider models.

The rules live in `HttpProviderConfig` / `SageMakerProviderConfig`; this module only runs them
and says which form field each complaint belongs to. Two things need care:

- pydantic skips a model's "after" validators (the https rule, the partition rule) while any
  single field is invalid. To show every reason at once as the user types, a field that failed
  is replaced by a neutral stand-in and the model validated again, until no new field fails.
- The models' sentences name command-line flags (`--allow-insecure-localhost`); a person in
  the dialog gets the name of the control instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from avala_desktop.inference.providers import HttpProviderConfig, SageMakerProviderConfig

ProviderModel = type[HttpProviderConfig] | type[SageMakerProviderConfig]
FORM = "form"  # key for a complaint that belongs to no single field

# Valid values that let the remaining rules run while a field is still wrong.
_STAND_INS: dict[str, Any] = {
    "name": "provider",
    "url": "https://models.example.com/predict",
    "header_name": "X-Api-Key",
    "token_env": "AVALA_TOKEN",
    "ca_bundle": None,
    "timeout_s": 30.0,
    "endpoint_name": "endpoint",
    "region": "us-east-1",
    "role_arn": "arn:aws:iam::000000000000:role/stand-in",
    "external_id": None,
}

# Model-wide rules (loc == ()) name their subject in the sentence; first match wins.
_MODEL_RULE_FIELDS: tuple[tuple[str, str], ...] = (
    ("endpoint url", "url"),
    ("http://", "url"),
    ("header name", "header_name"),
    ("header's name", "header_name"),
    ("token variable", "token_env"),
    ("role arn", "role_arn"),
)

_FLAG_TO_CONTROL: tuple[tuple[str, str], ...] = (
    ("--allow-insecure-localhost", "the 'Allow plain http:// to this computer' box"),
    ("--auth bearer or --auth header with the keyring", "Bearer token or custom header auth"),
    ("--header-name, e.g. X-Api-Key", "e.g. X-Api-Key"),
    ("--auth", "Authentication"),
    ("with --ca-bundle PATH", "in the CA bundle field"),
    ("--ca-bundle", "the CA bundle field"),
    ("with --token-stdin", "in the token field"),
    ("--token-stdin", "the token field"),
    ("pass its name with --token-env NAME", "name it in the environment variable field"),
    ("use --token-env NAME", "name an environment variable instead"),
    ("point --token-env at a variable", "name an environment variable"),
    ("--token-env NAME", "an environment variable for the token"),
)


@dataclass
class FormCheck:
    """The outcome: a valid configuration, or the reason for each field that is wrong."""

    config: HttpProviderConfig | SageMakerProviderConfig | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors


def for_the_form(message: str) -> str:
    """A model sentence with command-line flags replaced by the dialog's control names."""
    for flag, control in _FLAG_TO_CONTROL:
        message = message.replace(flag, control)
    return message


def check_form(model: ProviderModel, values: Mapping[str, Any]) -> FormCheck:
    """Validate `values` with `model`; every field that is wrong gets its own reason."""
    errors: dict[str, str] = {}
    attempt = dict(values)
    # Each round substitutes at least one more failed field, so this ends.
    for _ in range(len(_STAND_INS) + 2):
        try:
            config = model.model_validate(attempt)
        except ValidationError as exc:
            replaced = False
            for item in exc.errors():
                name = _field_of(item)
                errors.setdefault(name, for_the_form(_sentence(model, name, item)))
                stand_in = _STAND_INS.get(name, attempt.get(name))
                if name in attempt and attempt[name] != stand_in:
                    attempt[name] = stand_in
                    replaced = True
            if not replaced:
                return FormCheck(None, errors)
        else:
            return FormCheck(None if errors else config, errors)
    return FormCheck(None, errors)


def _field_of(item: Mapping[str, Any]) -> str:
    loc = [part for part in item["loc"] if isinstance(part, str)]
    if loc:
        return loc[0]
    text = str(item["msg"]).lower()
    for needle, name in _MODEL_RULE_FIELDS:
        if needle in text:
            return name
    return FORM


def _sentence(model: type[BaseModel], name: str, item: Mapping[str, Any]) -> str:
    kind = str(item["type"])
    if kind in ("greater_than_equal", "less_than_equal", "float_parsing", "float_type"):
        low, high = _bounds(model, name)
        what = "seconds" if name == "timeout_s" else "as a number"
        if low is not None and high is not None:
            return f"give a number from {low:g} to {high:g} {what}".replace(" as a number", "")
        return "give a number"
    if kind == "missing":
        return "this field is required"
    return str(item["msg"]).removeprefix("Value error, ")


def _bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    info = model.model_fields.get(name)
    low = high = None
    for rule in info.metadata if info is not None else ():
        if isinstance(rule, annotated_types.Ge):
            low = float(rule.ge)  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Le):
            high = float(rule.le)  # type: ignore[arg-type]
    return low, high
