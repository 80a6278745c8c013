"""Stack frames as switchyard-v2 reads them: v1's reading, plus what each platform needs.

Every platform: the context line (collapsed when a frame needs it: ``collapse``), and the SDK's
own frames left out. JavaScript: V8 names reduced to the function's own name, anonymous functions
marked, Node's and V8's internal frames left out too (triage.fingerprint.javascript).

System frames (the runtime's, the SDK's) are left out rather than marked: they can be neither a
crash site nor part of a call path, and they are half the frames of a Node event, so not building
them is most of what keeps v2 as fast as v1.
"""

from __future__ import annotations

from typing import Any

from triage.fingerprint import javascript
from triage.fingerprint.event import MAX_FRAMES, Frame, _basename, as_dict, as_list, text

MAX_CONTEXT_LINE = 120
ANONYMOUS = "<anonymous>"
# Frame(...) checks its arguments in Python; building the tuple directly takes half the time, and
# every field is given here.
_new_frame = tuple.__new__


def collapse(context_line: str) -> str:
    """A context line with its whitespace collapsed, as Sentry hashes it; "" for one over 120
    characters, which is minified or generated code and no better than no line."""
    if not context_line or len(context_line) > MAX_CONTEXT_LINE:
        return ""
    return " ".join(context_line.split())


def _read_frame(raw: Any, is_javascript: bool) -> Frame | None:
    """One frame, or None when it is unusable or a system frame."""
    if not isinstance(raw, dict):
        return None
    # Written for speed: this runs for every frame of every event.
    get = raw.get
    filename = get("filename")
    if not isinstance(filename, str):
        filename = text(filename)
    if is_javascript and javascript.is_system_file(filename):
        return None
    module, function = get("module"), get("function")
    module = module.strip() if isinstance(module, str) else ""
    if not module:
        module = _basename(filename)
    function = function.strip() if isinstance(function, str) else text(function).strip()
    if not module and not function:
        return None
    anonymous = False
    if is_javascript:
        if module.startswith(javascript.SDK_MODULES):
            return None
        function = javascript.function_name(function)
        if not function:
            anonymous, function = True, ANONYMOUS
    elif module.startswith("sentry_sdk."):
        return None
    abs_path, line = get("abs_path"), get("context_line")
    fields = (
        module,
        function,
        get("in_app") is True,
        f"{module}.{function}" if module and function else module or function,
        filename,
        abs_path if isinstance(abs_path, str) else "" if abs_path is None else text(abs_path),
        line if isinstance(line, str) else "",
        anonymous,
    )
    return _new_frame(Frame, fields)


def read_frames(stacktrace: Any, is_javascript: bool) -> list[Frame]:
    """Frames oldest call first, crash last (the wire order); unusable and system frames are dropped."""
    raw_frames = as_list(as_dict(stacktrace).get("frames"))[-MAX_FRAMES:]
    frames = (_read_frame(raw, is_javascript) for raw in raw_frames)
    return [frame for frame in frames if frame is not None]
