"""Provider configurations: what an admin enters to reach a model (pydantic, validated with
sentences a person can act on). The registry that keeps them is in providers.py.

A configuration never holds a secret: a Bearer token or custom header value lives in the OS
keyring (see `secrets.py`), or the configuration names an environment variable that holds it
(`token_env`). So `repr()`, `model_dump()` and the JSON file are safe to show and to log.
"""

from __future__ import annotations

import ipaddress
import re
import secrets as _random
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

ID_PATTERN = r"^inf_[0-9a-f]{8,32}$"
# RFC 9110 token characters: anything else cannot be sent as a header name.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Headers the HTTP client manages itself; carrying a secret in them would break the request.
_RESERVED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection"}
)
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/([\w+=,.@/-]{1,512})$")
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
MiB = 1024 * 1024
# Validation context key: the configuration comes from providers.json, not from a person.
STORED_CONTEXT = "stored"


def new_provider_id() -> str:
    return f"inf_{_random.token_hex(6)}"


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and any loopback address; the only hosts allowed plain http."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ProviderType(StrEnum):
    HTTP = "http"
    SAGEMAKER = "sagemaker"


class AuthMode(StrEnum):
    NONE = "none"
    BEARER = "bearer"
    HEADER = "header"


class PayloadMode(StrEnum):
    BINARY = "binary"
    JSON = "json"


class _ProviderBase(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)] = Field(default_factory=new_provider_id)
    name: str
    timeout_s: float = Field(default=30.0, ge=1, le=600)
    # The last Test Connection result (ConnectionTestResult as a JSON dict) and when it ran.
    last_test: dict[str, Any] | None = None
    last_test_at: datetime | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a provider needs a name, e.g. 'detector-prod'")
        if len(value) > 100:
            raise ValueError("keep the provider name under 100 characters")
        if any(ch < " " for ch in value):
            raise ValueError("the provider name must not contain control characters")
        return value


class HttpProviderConfig(_ProviderBase):
    """A custom HTTPS endpoint that receives the request JSON of PRODUCT.md §2 by POST."""

    type: Literal[ProviderType.HTTP] = ProviderType.HTTP
    url: str
    auth: AuthMode = AuthMode.NONE
    header_name: str | None = None
    # Name of an environment variable holding the token; when unset the keyring holds it.
    token_env: str | None = None
    ca_bundle: Path | None = None
    allow_insecure_localhost: bool = False
    # Transport limits. Defaults suit production; tests shrink them to stay fast.
    max_attempts: int = Field(default=4, ge=1, le=10)
    backoff_base_s: float = Field(default=0.5, ge=0, le=30)
    max_retry_wait_s: float = Field(default=30.0, ge=0, le=300)
    max_response_bytes: int = Field(default=64 * MiB, ge=1024, le=1024 * MiB)

    @field_validator("header_name")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not _HEADER_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid HTTP header name: use letters, digits and '-', "
                "e.g. 'X-Api-Key'"
            )
        if value.lower() in _RESERVED_HEADERS:
            raise ValueError(
                f"the client sets {value} itself; choose the header your server reads the key "
                "from, e.g. 'X-Api-Key'"
            )
        return value

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an environment variable name: pass the variable's name "
                "(letters, digits, '_'), not the token itself"
            )
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        value = value.expanduser().resolve()
        # Checked when an admin enters it, not when the registry loads: a CA file moved later
        # must fail that provider's requests (with this path named), not hide every provider.
        stored = bool(info.context and info.context.get(STORED_CONTEXT))
        if not stored and not value.is_file():
            raise ValueError(
                f"CA bundle {value} does not exist: give the path of a PEM file with the "
                "certificate authority that signed the server's certificate"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> HttpProviderConfig:
        self._check_url()
        if self.auth is AuthMode.HEADER and not self.header_name:
            raise ValueError(
                "auth 'header' needs the header's name (--header-name, e.g. X-Api-Key)"
            )
        if self.auth is not AuthMode.HEADER and self.header_name:
            raise ValueError("a header name is only used with auth 'header'")
        if self.auth is AuthMode.NONE and self.token_env:
            raise ValueError(
                "a token variable is set but auth is 'none': choose auth 'bearer' or 'header', "
                "or drop the token"
            )
        return self

    def _check_url(self) -> None:
        try:
            parts = urlsplit(self.url.strip())
            _ = parts.port  # raises ValueError for a port outside 0..65535
        except ValueError as exc:
            raise ValueError(f"the endpoint URL is malformed ({exc})") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(
                "the endpoint URL must be absolute, e.g. https://models.example.com/predict"
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "the endpoint URL must not contain a user name or password: they would be "
                "stored in plain text; use --auth bearer or --auth header with the keyring"
            )
        if parts.fragment:
            raise ValueError("the endpoint URL must not contain a '#fragment'")
        if parts.scheme == "http":
            if not is_loopback_host(parts.hostname):
                raise ValueError(
                    "the endpoint URL must use https://: plain http:// would send the asset "
                    "URLs and the token unencrypted across the network (http:// is allowed "
                    "only for a model server on this machine, 127.0.0.1 or localhost, "
                    "with --allow-insecure-localhost)"
                )
            if not self.allow_insecure_localhost:
                raise ValueError(
                    "plain http:// to this machine needs --allow-insecure-localhost, which "
                    "marks the provider as a local development server; otherwise use https://"
                )

    @property
    def target(self) -> str:
        return self.url


@lru_cache(maxsize=1)
def sagemaker_regions() -> dict[str, str]:
    """Region -> partition for every region botocore knows sagemaker-runtime in."""
    import botocore.session

    session = botocore.session.get_session()
    regions: dict[str, str] = {}
    for partition in session.get_available_partitions():
        for region in session.get_available_regions("sagemaker-runtime", partition):
            regions[region] = partition
    return regions


class SageMakerProviderConfig(_ProviderBase):
    """An Amazon SageMaker endpoint reached by assume-role + InvokeEndpoint."""

    type: Literal[ProviderType.SAGEMAKER] = ProviderType.SAGEMAKER
    endpoint_name: str
    region: str
    role_arn: str
    # Not a secret in AWS's model (it guards against the confused deputy), so kept here.
    external_id: str | None = None
    payload_mode: PayloadMode = PayloadMode.BINARY
    profile: str | None = None
    timeout_s: float = Field(default=60.0, ge=1, le=600)

    @field_validator("endpoint_name")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("arn:"):
            raise ValueError("give the endpoint's name (the part after 'endpoint/'), not its ARN")
        if not _ENDPOINT_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a SageMaker endpoint name: up to 63 letters, digits and "
                "'-', starting with a letter or digit (see the SageMaker console, Endpoints)"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.strip().lower()
        known = sagemaker_regions()
        if value not in known:
            raise ValueError(
                f"{value!r} is not an AWS region where SageMaker runtime is available; use the "
                "region code from the endpoint's ARN, e.g. us-east-1 or eu-west-1"
            )
        return value

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        value = value.strip()
        if not _ROLE_ARN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an IAM role ARN: expected "
                "arn:aws:iam::<12-digit account id>:role/<role name>, as shown on the role's "
                "page in the IAM console"
            )
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _EXTERNAL_ID.fullmatch(value):
            raise ValueError(
                "the external id must be 2 to 1224 characters of letters, digits and "
                "+=,.@:/-_ (the value in the role's trust policy, sts:ExternalId)"
            )
        return value

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str | None) -> str | None:
        # An empty profile means the default credential chain, same as no profile.
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _partition(self) -> SageMakerProviderConfig:
        match = _ROLE_ARN.fullmatch(self.role_arn)
        region_partition = sagemaker_regions().get(self.region)
        if match and region_partition and match.group(1) != region_partition:
            raise ValueError(
                f"the role ARN is in partition {match.group(1)!r} but region {self.region} is "
                f"in {region_partition!r}: a role can only be assumed within its own partition"
            )
        return self

    @property
    def target(self) -> str:
        return f"{self.endpoint_name} ({self.region})"


ProviderConfig = Annotated[
    HttpProviderConfig | SageMakerProviderConfig, Field(discriminator="type")
]
_CONFIG_ADAPTER: TypeAdapter[HttpProviderConfig | SageMakerProviderConfig] = TypeAdapter(
    ProviderConfig
)


# Not part of how a provider is reached: a rename leaves its last test true.
_NOT_CONNECTION = frozenset({"name", "last_test", "last_test_at"})


def same_connection(
    a: HttpProviderConfig | SageMakerProviderConfig,
    b: HttpProviderConfig | SageMakerProviderConfig,
) -> bool:
    """True when two configurations reach the same endpoint the same way.

    The rule for keeping a provider's last test across an edit (the settings dialog and
    `provider update` both use it): any other change, even the timeout, can change the outcome.
    """
    return a.model_dump(exclude=set(_NOT_CONNECTION)) == b.model_dump(exclude=set(_NOT_CONNECTION))


def parse_provider_config(
    data: Mapping[str, Any], *, stored: bool = False
) -> HttpProviderConfig | SageMakerProviderConfig:
    """Validate a configuration; `stored=True` for one read back from providers.json."""
    context = {STORED_CONTEXT: True} if stored else None
    return _CONFIG_ADAPTER.validate_python(dict(data), context=context)


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, `field: sentence`, without pydantic's boilerplate."""
    lines = []
    for item in error.errors():
        if item["type"] == "union_tag_invalid":
            lines.append("type: must be 'http' or 'sagemaker'")
            continue
        message = str(item["msg"]).removeprefix("Value error, ")
        loc = ".".join(str(part) for part in item["loc"] if not isinstance(part, int))
        # The union tag ('http', 'sagemaker') says nothing useful to a person.
        loc = loc.removeprefix("http.").removeprefix("sagemaker.")
        lines.append(f"{loc}: {message}" if loc and loc not in ("http", "sagemaker") else message)
    return "\n".join(lines)
