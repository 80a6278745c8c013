"""An event's stored payload → what the detail page shows: chained exceptions with their frames and
source context, message, tags, user, request, contexts and breadcrumbs.

Tolerant like the pipeline's readers (triage.fingerprint.event): any field may be missing, null or
of the wrong type and is then left out. Everything returned is plain text; the templates escape it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from triage.fingerprint.event import as_dict, as_list, event_stacktrace, exception_values, message_text, text
from triage.payloads import read_payload

MAX_FRAMES = 250
MAX_BREADCRUMBS = 30
MAX_VALUE_CHARS = 500
CHAIN_LABELS = {"__cause__": "which was the direct cause of the exception above", "__context__": "during the handling of which the exception above occurred"}


@dataclass(frozen=True)
class SourceLine:
    number: int | None
    code: str
    current: bool


@dataclass(frozen=True)
class Frame:
    filename: str
    module: str
    function: str
    lineno: int | None
    in_app: bool
    context: list[SourceLine]
    variables: list[tuple[str, str]]

    @property
    def location(self) -> str:
        return self.filename or self.module or "?"


@dataclass(frozen=True)
class ExceptionInfo:
    type: str
    value: str
    module: str
    mechanism: str
    handled: bool | None
    frames: list[Frame]  # most recent call first
    chain_label: str = ""  # how it relates to the one shown above it


@dataclass(frozen=True)
class EventView:
    message: str
    exceptions: list[ExceptionInfo]  # raised last first
    stack: list[Frame]  # a thread's stack when there is no exception
    tags: list[tuple[str, str]]
    user: list[tuple[str, str]]
    request: list[tuple[str, str]]
    contexts: list[tuple[str, list[tuple[str, str]]]]
    breadcrumbs: list[dict[str, Any]] = field(default_factory=list)  # each with "time": a datetime, or None
    sdk: str = ""
    platform: str = ""


def event_view(payload: str) -> EventView:
    """Parses a stored payload (triage.payloads: nesting cut, bad text replaced); an unreadable one
    gives empty details rather than an error."""
    event = read_payload(payload)
    sdk = as_dict(event.get("sdk"))
    return EventView(
        message=_message(event),
        exceptions=_exceptions(event),
        stack=[] if exception_values(event) else _frames(event_stacktrace(event)),
        tags=_tags(event.get("tags")),
        user=_pairs(as_dict(event.get("user"))),
        request=_pairs({k: v for k, v in as_dict(event.get("request")).items() if k in ("method", "url", "query_string")}),
        contexts=[(name, _pairs(value)) for name, value in sorted(as_dict(event.get("contexts")).items()) if name != "flags" and isinstance(value, dict)],
        breadcrumbs=_breadcrumbs(event.get("breadcrumbs")),
        sdk=" ".join(filter(None, [text(sdk.get("name")), text(sdk.get("version"))])),
        platform=text(event.get("platform")),
    )


def _message(event: dict) -> str:
    template, formatted = message_text(event)
    return formatted or template


def _exceptions(event: dict) -> list[ExceptionInfo]:
    values = exception_values(event)
    shown = []
    for raw in reversed(values):
        mechanism = as_dict(raw.get("mechanism"))
        handled = mechanism.get("handled")
        shown.append(
            ExceptionInfo(
                type=text(raw.get("type")) or "Error",
                value=_clip(text(raw.get("value")), 4000),
                module=text(raw.get("module")),
                mechanism=text(mechanism.get("type")),
                handled=handled if isinstance(handled, bool) else None,
                frames=_frames(raw.get("stacktrace")),
                chain_label=CHAIN_LABELS.get(text(mechanism.get("source")), "chained to the exception above") if shown else "",
            )
        )
    return shown


def _frames(stacktrace: Any) -> list[Frame]:
    raw_frames = as_list(as_dict(stacktrace).get("frames"))[-MAX_FRAMES:]
    return [_frame(raw) for raw in reversed(raw_frames) if isinstance(raw, dict)]


def _frame(raw: dict) -> Frame:
    lineno = raw.get("lineno") if isinstance(raw.get("lineno"), int) else None
    pre = [text(line) for line in as_list(raw.get("pre_context"))]
    post = [text(line) for line in as_list(raw.get("post_context"))]
    context = []
    if "context_line" in raw:
        first = lineno - len(pre) if lineno is not None else None
        lines = [*pre, text(raw.get("context_line")), *post]
        context = [SourceLine(None if first is None else first + i, line, i == len(pre)) for i, line in enumerate(lines)]
    return Frame(
        filename=text(raw.get("filename")) or text(raw.get("abs_path")),
        module=text(raw.get("module")),
        function=text(raw.get("function")) or "?",
        lineno=lineno,
        in_app=raw.get("in_app") is True,
        context=context,
        variables=_pairs(as_dict(raw.get("vars"))),
    )


def _tags(tags: Any) -> list[tuple[str, str]]:
    if isinstance(tags, dict):
        return _pairs(tags)
    pairs = [p for p in as_list(tags) if isinstance(p, list | tuple) and len(p) == 2]
    return sorted((_clip(_show(k), 200), _clip(_show(v), MAX_VALUE_CHARS)) for k, v in pairs)


def _pairs(mapping: dict) -> list[tuple[str, str]]:
    return sorted((_clip(str(k), 200), _clip(_show(v), MAX_VALUE_CHARS)) for k, v in mapping.items() if v not in (None, ""))


def _breadcrumbs(raw: Any) -> list[dict[str, str]]:
    values = as_list(as_dict(raw).get("values")) if isinstance(raw, dict) else as_list(raw)
    crumbs = []
    for crumb in values[-MAX_BREADCRUMBS:]:
        crumb = as_dict(crumb)
        crumbs.append({
            "timestamp": _show(crumb.get("timestamp")), "time": _time(crumb.get("timestamp")), "category": text(crumb.get("category")),
            "level": text(crumb.get("level")), "message": _clip(_show(crumb.get("message") or crumb.get("data") or ""), MAX_VALUE_CHARS),
        })
    return crumbs[::-1]


def _time(value: Any) -> dt.datetime | None:
    """A breadcrumb's timestamp: an RFC 3339 string or seconds since the epoch, as the protocol
    allows (https://develop.sentry.dev/sdk/data-model/event-payloads/breadcrumbs/); None otherwise."""
    try:
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except ValueError:
        return str(value)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
