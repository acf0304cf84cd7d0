"""How a Test Connection result reads in the settings dialogs (panel and provider list)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from avala_desktop.inference.test_connection import ConnectionTestResult
from avala_desktop.views.settings_validation import for_the_form
from avala_desktop.views.settings_widgets import FAIL_COLOR, OK_COLOR

CATEGORY_TITLES: dict[str, str] = {
    "dns": "Host name not found",
    "connect": "Cannot connect",
    "tls": "Certificate not trusted",
    "timeout": "Timed out",
    "auth": "Credentials refused",
    "not_found": "Not found",
    "throttled": "Throttled",
    "server_error": "Server error",
    "bad_response": "Unusable response",
    "assume_role_denied": "AssumeRole denied",
    "endpoint_not_found": "Endpoint not found",
    "model_error": "Model error",
    "too_large": "Response too large",
    "client_error": "Request refused",
    "config": "Configuration problem",
    "asset_unreadable": "Asset unreadable",
    "mask_fetch": "Mask download failed",
    "internal": "Internal error",
}


def category_title(category: str | None) -> str:
    if category is None:
        return "Cancelled"
    return CATEGORY_TITLES.get(category, category.replace("_", " ").capitalize())


def result_html(result: ConnectionTestResult) -> str:
    """The result as rich text: a coloured headline and the lines that matter for it."""
    if result.cancelled:
        return "<b>Test cancelled.</b> Nothing was recorded."
    if result.ok:
        return _success_html(result)
    category = result.category.value if result.category else None
    status = f" · HTTP {result.status}" if result.status else ""
    return (
        f'<p style="margin:0"><b style="color:{FAIL_COLOR}">✗ {category_title(category)}</b>'
        f" <code>({html.escape(category or 'cancelled')})</code>{status}</p>"
        f'<p style="margin-top:4px">{html.escape(for_the_form(result.message))}</p>'
    )


def _success_html(result: ConnectionTestResult) -> str:
    facts = []
    if result.status:
        facts.append(f"HTTP {result.status}")
    if result.latency_ms is not None:
        facts.append(f"{result.latency_ms:.0f} ms latency")
    count = result.annotations_parsed or 0
    facts.append(f"{count} annotation{'' if count == 1 else 's'} parsed")
    lines = [
        f'<p style="margin:0"><b style="color:{OK_COLOR}">✓ Connected</b> · '
        + " · ".join(facts)
        + "</p>"
    ]
    if result.tls_subject:
        rows = [("Certificate", result.tls_subject), ("Issued by", result.tls_issuer)]
        if result.tls_not_after:
            rows.append(("Expires", f"{result.tls_not_after:%Y-%m-%d}"))
        lines.append(
            '<table style="margin-top:4px" cellspacing="0" cellpadding="1">'
            + "".join(
                f"<tr><td>{name}:&nbsp;</td><td>{html.escape(value)}</td></tr>"
                for name, value in rows
                if value
            )
            + "</table>"
        )
    if result.problems:
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in result.problem_reasons)
        lines.append(
            f"<p style=\"margin:2px 0\">{result.problems} annotation(s) skipped as invalid; "
            "the connection works, the model's output format needs fixing:</p>"
            f"<ul style=\"margin:0\">{reasons}</ul>"
        )
    return "".join(lines)


def last_test_summary(last_test: Mapping[str, Any] | None) -> str:
    """One cell of the provider list: 'ok · 42 ms' or 'failed: tls'."""
    if not last_test:
        return "never tested"
    if last_test.get("ok"):
        latency = last_test.get("latency_ms")
        return "ok" + (f" · {float(latency):.0f} ms" if latency is not None else "")
    category = last_test.get("category")
    return f"failed: {category_title(category)}" if category else "failed"


def when_text(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', 'yesterday 14:02' style: when the last test ran, in local time."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    local = moment.astimezone()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago ({local:%H:%M})"
    return f"{local:%Y-%m-%d %H:%M}"
