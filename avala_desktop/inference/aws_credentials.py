"""AWS identity for the SageMaker client: base credentials, STS AssumeRole, timely refresh.

The base identity comes from botocore's default chain (environment, shared files, SSO,
container or instance metadata) or from a named profile. When a role ARN is configured the
base identity only ever calls `sts:AssumeRole`; everything else is signed with the role's
temporary credentials, held in a botocore `RefreshableCredentials` that re-assumes the role
before they expire (botocore refreshes 15 minutes ahead, and insists 10 minutes ahead), so a
run of hours never meets an expired token. `RefreshableCredentials` serialises refreshes with
its own lock, which makes one instance safe to share between worker threads.

Every failure leaves this module as an `InferenceFailure` whose message tells the admin what
to change; the translation of botocore's transport errors lives here too because the STS call
and the InvokeEndpoint call fail in the same ways.
"""

from __future__ import annotations

import re
import secrets
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    RefreshableCredentials,
)
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigParseError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    InvalidConfigError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSLError,
    SSOError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from avala_desktop.core.errors import FailureCategory, InferenceFailure

# STS's default session length; a role whose MaxSessionDuration is larger still works with it.
DEFAULT_SESSION_DURATION_S = 3600
_MESSAGE_LIMIT = 300

_ROLE_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/.+$")
# Credential-related error codes shared by STS and the SageMaker runtime: the base identity
# (or the token derived from it) is not accepted at all, as opposed to lacking a permission.
REJECTED_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "IncompleteSignature",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "RequestExpired",
    }
)
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)


def new_role_session_name() -> str:
    """A RoleSessionName that shows up in the account's CloudTrail as this app."""
    return f"avala-desktop-{secrets.token_hex(4)}"


def role_arn_parts(role_arn: str | None) -> tuple[str, str] | None:
    """(partition, account id) of a role ARN, or None when it is not one."""
    match = _ROLE_ARN.match(role_arn or "")
    if match is None:
        return None
    return match.group("partition"), match.group("account")


def botocore_config(*, timeout_s: float, max_attempts: int) -> Config:
    """Retries in botocore's standard mode, with connect and read timeouts from the provider."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=min(float(timeout_s), 10.0),
        read_timeout=float(timeout_s),
        user_agent_appid="avala-desktop",
    )


def base_session(profile: str | None) -> boto3.Session:
    """The admin's own identity: a named profile, or botocore's default chain when None."""
    try:
        return boto3.Session(profile_name=profile or None)
    except ProfileNotFound as exc:
        raise InferenceFailure(
            FailureCategory.CONFIG,
            f"The AWS profile '{profile}' does not exist in the AWS config or credentials "
            "file; create it (aws configure --profile NAME) or correct the provider's profile.",
        ) from exc


@dataclass(frozen=True)
class RoleSpec:
    """What one AssumeRole call asks for."""

    role_arn: str
    session_name: str
    external_id: str | None = None
    duration_s: int = DEFAULT_SESSION_DURATION_S


class AssumeRoleRefresher:
    """The `refresh_using` callable of the role credentials: one STS AssumeRole per call.

    Returns botocore's credential metadata dict; raises `InferenceFailure` so that a refresh
    failing in the middle of a run reaches the caller with the same sentence as a first one.
    """

    def __init__(self, sts_client: BaseClient, role: RoleSpec, *, region: str) -> None:
        self._sts = sts_client
        self.role = role
        self._region = region

    def __call__(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "RoleArn": self.role.role_arn,
            "RoleSessionName": self.role.session_name,
            "DurationSeconds": self.role.duration_s,
        }
        if self.role.external_id:
            kwargs["ExternalId"] = self.role.external_id
        try:
            response = self._sts.assume_role(**kwargs)
        except ClientError as exc:
            raise assume_role_failure(exc, self.role.role_arn) from exc
        except BotoCoreError as exc:
            raise botocore_failure(exc, service="AWS STS", region=self._region) from exc
        creds = response["Credentials"]
        expiration = creds["Expiration"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": (
                expiration.isoformat() if isinstance(expiration, datetime) else str(expiration)
            ),
        }


def assume_role_credentials(refresher: AssumeRoleRefresher) -> RefreshableCredentials:
    """Assume the role now and keep the credentials fresh with `refresher` from then on."""
    return RefreshableCredentials.create_from_metadata(
        metadata=refresher(), refresh_using=refresher, method="assume-role"
    )


class _FixedCredentialProvider(CredentialProvider):
    """Hands botocore the credentials we built instead of searching its chain."""

    METHOD = "avala-assume-role"
    CANONICAL_NAME = "custom-avala-assume-role"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


def session_with_credentials(
    credentials: Credentials, profile: str | None
) -> botocore.session.Session:
    """A botocore session signing with `credentials`, keeping the profile's other settings.

    The profile still matters here for its non-credential settings (endpoint URLs, CA
    bundle), which botocore reads from the same config file.
    """
    session = botocore.session.Session(profile=profile or None)
    session.register_component(
        "credential_provider", CredentialResolver([_FixedCredentialProvider(credentials)])
    )
    return session


def known_regions(session: boto3.Session, service: str) -> set[str]:
    """Every region botocore knows for `service`, across all partitions."""
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions(service, partition_name=partition))
    return regions


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def service_message(exc: ClientError) -> str:
    """The service's own error text, shortened; some fronts answer JSON APIs with XML."""
    message = str(exc.response.get("Error", {}).get("Message") or "")
    embedded = re.search(r"<Message>(.*?)</Message>", message, re.DOTALL)
    if embedded:
        message = embedded.group(1)
    return _short(message)


def error_code(exc: ClientError) -> str:
    code = str(exc.response.get("Error", {}).get("Code") or "")
    if code.isdigit():
        # An XML error body under a JSON protocol leaves the HTTP status as the code.
        embedded = re.search(r"<Code>(.*?)</Code>", str(exc.response["Error"].get("Message")))
        if embedded:
            return embedded.group(1)
    return code


def http_status(exc: ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def assume_role_failure(exc: ClientError, role_arn: str) -> InferenceFailure:
    code, status, detail = error_code(exc), http_status(exc), service_message(exc)
    if code == "AccessDenied":
        return InferenceFailure(
            FailureCategory.ASSUME_ROLE_DENIED,
            f"AWS refused to let your identity assume {role_arn}: check the role's trust "
            "relationship allows your identity and that the external id matches. "
            f"AWS said: {detail}",
            status=status,
            detail=code,
        )
    if code in REJECTED_CREDENTIAL_CODES:
        return InferenceFailure(
            FailureCategory.AUTH,
            f"AWS rejected the credentials used to assume the role ({code}): renew or "
            "correct the access key of your profile or environment (for SSO, log in again).",
            status=status,
            detail=code,
        )
    if code == "RegionDisabledException":
        return InferenceFailure(
            FailureCategory.CONFIG,
            f"STS is not activated in this region for the account: activate it in IAM "
            f"account settings or choose another region. AWS said: {detail}",
            status=status,
            detail=code,
        )
    if code in ("ValidationError", "MalformedPolicyDocument", "PackedPolicyTooLarge"):
        return InferenceFailure(
            FailureCategory.CONFIG,
            f"AWS rejected the AssumeRole request for {role_arn}: check the role ARN and the "
            f"external id. AWS said: {detail}",
            status=status,
            detail=code,
        )
    if code in THROTTLING_CODES:
        return InferenceFailure(
            FailureCategory.THROTTLED,
            "AWS STS throttled AssumeRole; wait a moment and try again.",
            status=status,
            detail=code,
        )
    if status is not None and status >= 500:
        return InferenceFailure(
            FailureCategory.SERVER_ERROR,
            f"AWS STS failed ({code or status}); try again later. AWS said: {detail}",
            status=status,
            detail=code,
        )
    return InferenceFailure(
        FailureCategory.CLIENT_ERROR,
        f"AssumeRole on {role_arn} failed ({code or status}): {detail}",
        status=status,
        detail=code,
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        stack.extend([current.__cause__, current.__context__])
        # botocore wraps urllib3's error in a keyword argument rather than a cause.
        kwargs = getattr(current, "kwargs", None)
        if isinstance(kwargs, dict) and isinstance(kwargs.get("error"), BaseException):
            stack.append(kwargs["error"])
    return False


def botocore_failure(
    exc: BotoCoreError, *, service: str, region: str, timeout_s: float | None = None
) -> InferenceFailure:
    """Translate a botocore error raised before or while talking to `service`."""
    if isinstance(exc, SSLError) or _caused_by(exc, ssl.SSLError):
        return InferenceFailure(
            FailureCategory.TLS,
            f"The TLS certificate of {service} could not be verified: if a proxy inspects "
            "TLS traffic, point AWS_CA_BUNDLE (or ca_bundle in the AWS profile) at its CA "
            f"certificate. ({_short(str(exc))})",
        )
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        if isinstance(exc, ConnectTimeoutError):
            return InferenceFailure(
                FailureCategory.TIMEOUT,
                f"Timed out connecting to {service} in {region}: check the network path to AWS "
                "(proxy, firewall, VPN).",
            )
        limit = f" within {timeout_s:g} s" if timeout_s is not None else ""
        return InferenceFailure(
            FailureCategory.TIMEOUT,
            f"{service[0].upper()}{service[1:]} did not answer{limit}: raise the provider's "
            "timeout if the model is slow, or check the endpoint's health.",
        )
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, BotoConnectionError)):
        if region not in known_regions(boto3.Session(), "sagemaker-runtime"):
            return InferenceFailure(
                FailureCategory.CONFIG,
                f"'{region}' is not a known AWS region for SageMaker: correct the provider's "
                "region (for example us-east-1).",
            )
        if _caused_by(exc, socket.gaierror):
            return InferenceFailure(
                FailureCategory.DNS,
                f"The host name of {service} in {region} could not be resolved: check DNS "
                "and network access to AWS.",
            )
        return InferenceFailure(
            FailureCategory.CONNECT,
            f"Could not connect to {service} in {region}: check network access to AWS "
            f"(proxy, firewall, VPN). ({_short(str(exc))})",
        )
    if isinstance(exc, (InvalidRegionError, NoRegionError)):
        return InferenceFailure(
            FailureCategory.CONFIG,
            f"'{region}' is not a valid AWS region name: correct the provider's region "
            "(for example us-east-1).",
        )
    if isinstance(exc, NoCredentialsError):
        return InferenceFailure(
            FailureCategory.AUTH,
            "No AWS credentials were found: run `aws configure` (or `aws sso login`), set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile in the provider.",
        )
    if isinstance(
        exc,
        (PartialCredentialsError, ProfileNotFound, InvalidConfigError, ConfigParseError),
    ):
        return InferenceFailure(
            FailureCategory.CONFIG,
            f"The AWS credential configuration is incomplete: {_short(str(exc))}. Fix the "
            "profile or the AWS_* environment variables.",
        )
    if isinstance(
        exc,
        (CredentialRetrievalError, SSOError, TokenRetrievalError, UnauthorizedSSOTokenError),
    ):
        return InferenceFailure(
            FailureCategory.AUTH,
            f"Your AWS login could not be used: {_short(str(exc))}. Log in again "
            "(for SSO: aws sso login) or renew the credentials.",
        )
    if isinstance(exc, HTTPClientError):
        return InferenceFailure(
            FailureCategory.CONNECT,
            f"The connection to {service} failed: {_short(str(exc))}",
        )
    return InferenceFailure(
        FailureCategory.INTERNAL,
        f"Calling {service} failed inside botocore: {_short(str(exc))}",
        detail=type(exc).__name__,
    )
