"""What JavaScript events (Node's @sentry/node, the browser SDKs) need before grouping.

V8 names a frame after the call, not only the function: the receiver's class (``CartStore.load``
for a method defined once on a base class), ``[as alias]`` when called through another property
name, ``new`` for constructors, ``async`` in async stack traces, and ``?`` / ``Object.<anonymous>``
for functions without a name. Sentry keeps only the last dotted segment for JavaScript and ignores
those anonymous names ("javascript_fuzzing" in
https://github.com/getsentry/sentry/blob/master/src/sentry/grouping/strategies/newstyle.py);
we do the same and give anonymous functions a context of their own (triage.fingerprint.crash_site).

The runtime's frames (``node:internal/…``, native ``<anonymous>``) and the SDK's own
(``node_modules/@sentry/…``: its console and rejection handlers) are never a crash site: they are
the same for every error they carry.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from triage.fingerprint.event import as_dict, text

JAVASCRIPT_PLATFORMS = frozenset({"javascript", "node"})
ANONYMOUS_NAMES = frozenset({"", "?", "<anonymous>", "anonymous", "<anonymous function>", "Anonymous function"})

_PREFIXES = ("async ", "new ")
_RUNTIME_FILES = ("node:", "internal/")
_NATIVE_FILES = frozenset({"<anonymous>", "native", "[native code]", "native code", "eval code"})
SDK_MODULES = ("@sentry.", "@sentry/")
# The JavaScript SDKs' text for something thrown that is not an Error
# (getMessageForObject in @sentry/core's eventbuilder).
_OBJECT_WITH_MESSAGE = re.compile(r"'(?P<name>[^'\n]{1,100})' captured as exception with message '(?P<message>.*)'", re.S)
_OBJECT_NAMED = re.compile(r"'(?P<name>[^'\n]{1,100})' captured as exception")


def is_javascript(event: dict[str, Any]) -> bool:
    """An event from a JavaScript SDK: ``platform`` says so, or the SDK's name does."""
    if text(event.get("platform")).lower() in JAVASCRIPT_PLATFORMS:
        return True
    return text(as_dict(event.get("sdk")).get("name")).startswith("sentry.javascript")


# Cached: an app has a few thousand function names and files, and every event repeats them.
@functools.lru_cache(maxsize=8192)
def function_name(raw: str) -> str:
    """The function's own name from V8's frame name; "" for an anonymous function.

    ``CartStore.load`` → ``load``, ``Object.saveOrder [as save]`` → ``saveOrder``,
    ``new Invoice`` and ``CreditNote.Invoice`` → ``Invoice``, ``async loadUser`` → ``loadUser``,
    ``?``, ``Object.<anonymous>`` and ``Object.?`` → "".
    """
    # String methods rather than regular expressions: this runs for every frame.
    name = raw.strip()
    if name.endswith("]"):
        cut = name.rfind(" [as ")
        name = name[:cut] if cut > 0 else name
    while name.startswith(_PREFIXES):
        name = name.partition(" ")[2].lstrip()
    name = name.rpartition(".")[2]
    if name in ANONYMOUS_NAMES or name.endswith("/<"):  # Firefox writes "outer/<" for a closure
        return ""
    return name


@functools.lru_cache(maxsize=8192)
def is_system_file(filename: str) -> bool:
    """Node's internals (``node:internal/timers``), native code (``Array.map (<anonymous>)``) and the
    SDK's own code; ``SDK_MODULES`` catches the SDK by the module name @sentry/node derives."""
    return (
        filename.startswith(_RUNTIME_FILES)
        or filename in _NATIVE_FILES
        or "node_modules/@sentry/" in filename
        or "node_modules\\@sentry\\" in filename
    )


def thrown_value(value: str) -> str:
    """The message of a thrown non-Error without the SDK's wrapping, so that parameterising sees it.

    ``'HttpError' captured as exception with message 'user 17 not found'`` → ``HttpError: user 17
    not found``; left as it was, both quoted parts would become ``<quoted_str>`` and every such
    object would group together.
    """
    match = _OBJECT_WITH_MESSAGE.fullmatch(value)
    if match:
        return f"{match['name']}: {match['message']}"
    match = _OBJECT_NAMED.fullmatch(value)
    return match["name"] if match else value
