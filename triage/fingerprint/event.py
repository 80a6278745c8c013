"""Tolerant readers for the parts of a Sentry event that grouping looks at.

Events come from any SDK version and from hand-written clients, so every reader accepts wrong types,
explicit nulls and missing keys, and returns an empty value instead of raising.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# Python's SDK sends at most 100 frames; other clients may send thousands. The crash site and its
# callers are at the inner end, so only the innermost frames are read.
MAX_FRAMES = 250
# Chains longer than this are loops of "during handling of…"; their outer links add nothing.
MAX_EXCEPTIONS = 32


class Frame(NamedTuple):
    """The grouping-relevant part of one stack frame. Line numbers and paths are left out on purpose."""

    module: str  # the module, or the lower-cased file basename when the SDK sent no module
    function: str
    in_app: bool
    label: str  # "module.function", the call-path entry
    filename: str  # kept only for path rules, never hashed
    abs_path: str
    # Read by switchyard-v2 only (triage.fingerprint.frames); v1 leaves the defaults.
    context_line: str = ""  # as sent; triage.fingerprint.frames.collapse before use
    anonymous: bool = False  # a JavaScript function with no name of its own

    @property
    def location(self) -> str:
        """``module in function``, Sentry's culprit format."""
        if self.module and self.function:
            return f"{self.module} in {self.function}"
        return self.module or self.function


def text(value: Any) -> str:
    """A string field as a string; numbers are stringified, anything else becomes ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()


def parse_frame(raw: Any) -> Frame | None:
    """One frame, or None when it names neither a module/file nor a function."""
    if not isinstance(raw, dict):
        return None
    module = raw.get("module")
    filename = text(raw.get("filename"))
    module = module.strip() if isinstance(module, str) else ""
    module = module or _basename(filename)
    function = text(raw.get("function")).strip()
    if not module and not function:
        return None
    label = f"{module}.{function}" if module and function else module or function
    return Frame(module, function, raw.get("in_app") is True, label, filename, text(raw.get("abs_path")))


def parse_frames(stacktrace: Any) -> list[Frame]:
    """Frames oldest call first, crash last (the wire order); unusable frames are dropped."""
    raw_frames = as_list(as_dict(stacktrace).get("frames"))[-MAX_FRAMES:]
    return [frame for frame in map(parse_frame, raw_frames) if frame is not None]


def exception_values(event: dict[str, Any]) -> list[dict[str, Any]]:
    """``exception.values`` (or a bare list), causes first and the raised-last exception last."""
    raw = event.get("exception")
    values = as_list(raw.get("values")) if isinstance(raw, dict) else as_list(raw)
    return [value for value in values[-MAX_EXCEPTIONS:] if isinstance(value, dict)]


def event_stacktrace(event: dict[str, Any]) -> Any:
    """The stack of an event without exception frames: crashed thread, current thread, or top level.

    The SDK puts ``attach_stacktrace`` stacks in ``threads.values[].stacktrace`` (current, not
    crashed); native and Java SDKs mark the crashed thread.
    """
    threads = [t for t in as_list(as_dict(event.get("threads")).get("values")) if isinstance(t, dict)]
    with_stack = [t for t in threads if as_dict(t.get("stacktrace")).get("frames")]
    for flag in ("crashed", "current"):
        for thread in with_stack:
            if thread.get(flag) is True:
                return thread["stacktrace"]
    if len(with_stack) == 1:
        return with_stack[0]["stacktrace"]
    return event.get("stacktrace")


def message_text(event: dict[str, Any]) -> tuple[str, str]:
    """(template, formatted) of a message event; either may be "".

    ``logentry`` is the current field; an object ``message`` is its older spelling, and a string
    ``message`` is what ``capture_message`` sends.
    """
    logentry = as_dict(event.get("logentry"))
    message = event.get("message")
    legacy = as_dict(message)
    template = text(logentry.get("message")) or text(legacy.get("message"))
    formatted = text(logentry.get("formatted")) or text(legacy.get("formatted")) or text(message)
    return template, formatted


def first_line(value: str, limit: int = 200) -> str:
    """The first non-empty line, cut to ``limit`` characters (with an ellipsis when cut)."""
    # Only the head is split: a 1 MB value should cost no more than a short one.
    line = next((part.strip() for part in value[: limit * 8].splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def tag_value(event: dict[str, Any], name: str) -> str:
    """A tag from ``tags`` sent as a dict or as a list of [key, value] pairs."""
    tags = event.get("tags")
    if isinstance(tags, dict):
        return text(tags.get(name))
    for pair in as_list(tags):
        if isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] == name:
            return text(pair[1])
    return ""
