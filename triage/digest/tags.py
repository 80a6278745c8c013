"""An event's tags: what the group page breaks a group's events down by and the list searches.

As Sentry indexes them (https://docs.sentry.io/concepts/search/searchable-properties/events/):
the event's own ``tags`` (a dict, or a list of pairs), plus tags derived from its interfaces.

- ``browser``, ``browser.name``, ``os``, ``os.name``, ``device``: from ``contexts.browser``,
  ``contexts.os`` and ``contexts.device``, or else from the request's User-Agent header (browser
  SDKs and web frameworks send the header; Sentry's Relay derives the same contexts from it);
- ``runtime``, ``runtime.name``: ``contexts.runtime`` (``CPython 3.11.7``);
- ``server_name``, ``transaction``, ``logger``, ``level``;
- ``url``: ``request.url`` without its query string or fragment;
- ``user``: the user key (``id:u-17``, else email, username or IP), and ``user.segment``: the
  user's ``segment`` field, the usual place for a plan or cohort (``set_user({"segment": "paid"})``);
- ``handled`` (``yes``/``no``) and ``mechanism``: of the exception that was raised last.

The event's own tags win over derived ones of the same name. Keys follow Sentry's rule
(letters, digits, ``_ . : -``, at most 32 characters); other keys are dropped, values are cut to
200 characters on one line. Never raises: an odd field yields no tag.
"""

from __future__ import annotations

import re
from typing import Any

from triage.digest.normalize import clean

MAX_KEY = 32
MAX_VALUE = 200
MAX_TAGS = 50  # per event: more would be a client tagging ids, not dimensions
_KEY = re.compile(r"[a-zA-Z0-9_.:-]{1,32}")
# Keys the group page lists first, in this order; every other key follows alphabetically.
WELL_KNOWN = (
    "browser", "browser.name", "os", "os.name", "device", "runtime", "runtime.name", "server_name", "url",
    "transaction", "user", "user.segment", "level", "handled", "mechanism", "logger",
)

Tags = tuple[tuple[str, str], ...]


def event_tags(event: dict[str, Any], level: str = "", user_key: str = "") -> Tags:
    """(key, value) pairs, one per key, at most MAX_TAGS. ``level`` and ``user_key`` are the
    normalised ones the digest already read (triage.digest.normalize)."""
    tags: dict[str, str] = {}
    for key, value in _derived(event, level, user_key):
        _put(tags, key, value)
    own: dict[str, str] = {}
    for key, value in _own_tags(event.get("tags")):
        _put(own, key, value)
    tags.update(own)
    return tuple(list(tags.items())[:MAX_TAGS])


def _put(tags: dict[str, str], key: Any, value: Any) -> None:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        return
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return
    value = " ".join(value.split())[:MAX_VALUE]  # one line: a tag value is shown and searched as one
    if value:
        tags[key] = clean(value)


def _own_tags(raw: Any):
    if isinstance(raw, dict):
        yield from raw.items()
    elif isinstance(raw, list):
        for pair in raw:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                yield pair[0], pair[1]


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def _derived(event: dict[str, Any], level: str, user_key: str):
    contexts = _dict(event.get("contexts"))
    request = _dict(event.get("request"))
    agent = _user_agent(request.get("headers"))
    browser, os_ = _dict(contexts.get("browser")), _dict(contexts.get("os"))
    if not browser.get("name") and agent:
        browser = parse_browser(agent)
    if not os_.get("name") and agent:
        os_ = parse_os(agent)
    yield "browser", _name_version(browser)
    yield "browser.name", _text(browser.get("name"))
    yield "os", _name_version(os_)
    yield "os.name", _text(os_.get("name"))
    device = _dict(contexts.get("device"))
    yield "device", _text(device.get("model")) or _text(device.get("family"))
    runtime = _dict(contexts.get("runtime"))
    yield "runtime", _name_version(runtime)
    yield "runtime.name", _text(runtime.get("name"))
    yield "server_name", _text(event.get("server_name"))
    yield "url", _text(request.get("url")).split("?", 1)[0].split("#", 1)[0]
    yield "transaction", _text(event.get("transaction"))
    yield "logger", _text(event.get("logger"))
    yield "level", level
    yield "user", user_key
    user = _dict(event.get("user"))
    yield "user.segment", _text(user.get("segment")) or _text(_dict(user.get("data")).get("segment"))
    mechanism = _main_mechanism(event)
    if isinstance(mechanism.get("handled"), bool):
        yield "handled", "yes" if mechanism["handled"] else "no"
    yield "mechanism", _text(mechanism.get("type"))


def _name_version(context: dict) -> str:
    name, version = _text(context.get("name")), _text(context.get("version"))
    return f"{name} {version}" if name and version else name


def _main_mechanism(event: dict[str, Any]) -> dict:
    exception = event.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    if isinstance(values, list) and values:
        return _dict(_dict(values[-1]).get("mechanism"))  # the last one is the exception raised last
    return {}


def _user_agent(headers: Any) -> str:
    """The User-Agent of ``request.headers``, sent as a dict or as a list of pairs, any case."""
    pairs = headers.items() if isinstance(headers, dict) else headers if isinstance(headers, list) else ()
    for pair in pairs:
        if isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str) and pair[0].lower() == "user-agent":
            return _text(pair[1])[:1000]
    return ""


# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)(?:\.\d+)*.*Safari/")),
)
_WINDOWS = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7"}
_SYSTEMS = (
    ("Windows", re.compile(r"Windows NT (\d+\.\d+)"), lambda v: _WINDOWS.get(v, v)),
    ("iOS", re.compile(r"(?:iPhone|CPU) OS (\d+(?:_\d+)*)"), lambda v: v.replace("_", ".")),
    ("Mac OS X", re.compile(r"Mac OS X (\d+(?:[_.]\d+)*)"), lambda v: v.replace("_", ".")),
    ("Android", re.compile(r"Android (\d+(?:\.\d+)*)"), lambda v: v),
    ("Linux", re.compile(r"Linux"), None),
)


def parse_browser(agent: str) -> dict[str, str]:
    """{"name", "version"} (the major version) of a browser User-Agent; {} for anything else."""
    for name, pattern in _BROWSERS:
        found = pattern.search(agent)
        if found:
            return {"name": name, "version": found.group(1)}
    return {}


def parse_os(agent: str) -> dict[str, str]:
    for name, pattern, version in _SYSTEMS:
        found = pattern.search(agent)
        if found:
            return {"name": name, "version": version(found.group(1)) if version else ""}
    return {}
