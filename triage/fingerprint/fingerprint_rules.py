"""A project's fingerprint rules: Sentry's server-side fingerprinting, in its syntax.

https://docs.sentry.io/concepts/data-management/event-grouping/fingerprint-rules/ — one rule per
line, ``matcher:value [matcher:value …] -> fingerprint[, fingerprint …] [title="…"]``:

    error.type:ConnectionError -> connection-errors
    message:"*timeout*" -> timeouts, {{ transaction }}
    stack.module:shop.payments* !error.type:CardDeclined -> payments-{{ error.type }}
    tags.tenant:acme error.type:KeyError -> {{ default }}, acme title="acme: {{ error.value }}"

- Matchers (``!`` negates): ``error.type`` (or ``type``), ``error.value`` (``value``), ``message``
  (the message or any exception's value), ``logger``, ``level``, ``tags.<name>`` (the event's tags
  as the list searches them, triage.digest.tags), ``release``, ``sdk``, ``family``
  (``javascript``, ``native``, ``other``), and the frame matchers ``stack.module`` (``module``),
  ``stack.function`` (``function``), ``stack.abs_path`` (``path``), ``stack.package``
  (``package``), ``app`` (``yes``/``no``). Every matcher of a line must hold; exception matchers
  must hold for one exception, frame matchers for one frame.
- Values are globs: ``*`` and ``?``, ``**`` across ``/`` in paths. ``error.value``, ``message``,
  ``level`` and paths ignore case, as in Sentry; the rest do not. Quote a value with spaces.
- The fingerprint replaces the default grouping (and the SDK's own fingerprint), unless it holds
  ``{{ default }}``; the variables are those of SDK fingerprints (triage.fingerprint.custom).
  ``title="…"`` names the groups it makes.
- The first matching line wins; ``#`` starts a comment line.

Not supported, and refused with a message: caller/callee matchers (``[ … ] |``) and thread matchers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from triage.digest.tags import event_tags
from triage.fingerprint.event import as_dict, as_list, event_stacktrace, exception_values, message_text, text

MAX_RULES = 200
MAX_LINE = 1000
MAX_VALUES = 32
_KEY = re.compile(r'(!?)(?:"([A-Za-z0-9_.:-]+)"|([A-Za-z0-9_.-]+)):')
_VALUE = re.compile(r"\{\{\s*\S+?\s*\}\}|[^\s{,]+")
_ALIASES = {
    "error.type": "type", "error.value": "value", "stack.module": "module", "stack.abs_path": "path",
    "stack.package": "package", "stack.function": "function",
}
_NAMES = {short: name for name, short in _ALIASES.items()}  # how a rule is written back: Sentry's names
KEYS = {"type", "value", "message", "logger", "level", "release", "sdk", "family", "module", "path", "package", "function", "app"}
_EXCEPTION_KEYS = {"type", "value"}
_FRAME_KEYS = {"module", "path", "package", "function", "app"}
_IGNORE_CASE = {"value", "message", "level"}
_PATH_KEYS = {"path", "package", "release"}
_TRUE, _FALSE = {"yes", "true", "1", "on"}, {"no", "false", "0", "off"}


@dataclass(frozen=True)
class Matcher:
    key: str  # normalised: "type", "module", "tags.tenant", …
    pattern: str
    negated: bool = False

    def __str__(self) -> str:
        return f"{'!' if self.negated else ''}{_NAMES.get(self.key, self.key)}:{_quote(self.pattern)}"


@dataclass(frozen=True)
class FingerprintRule:
    matchers: tuple[Matcher, ...]
    fingerprint: tuple[str, ...]
    title: str | None
    line: int

    @property
    def text(self) -> str:
        """The rule normalised, as shown in previews and on the group page."""
        values = ", ".join(_quote_value(v) for v in self.fingerprint)
        title = f' title="{_escape(self.title)}"' if self.title is not None else ""
        return f"{' '.join(map(str, self.matchers))} -> {values}{title}"


class _Line:
    """One line being read, with where it is, for error messages."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_spaces()
        return self.pos >= len(self.text)

    def quoted(self) -> str:
        """The quoted string at pos (\\" and \\\\ escapes)."""
        chars, pos = [], self.pos + 1
        while pos < len(self.text):
            char = self.text[pos]
            if char == "\\" and pos + 1 < len(self.text):
                chars.append(self.text[pos + 1])
                pos += 2
            elif char == '"':
                self.pos = pos + 1
                return "".join(chars)
            else:
                chars.append(char)
                pos += 1
        raise ValueError(f"the quote at character {self.pos + 1} is never closed")


def parse_fingerprint_rules(text: str) -> list[FingerprintRule]:
    """The rules of a project's text; ValueError naming the first bad line and what is wrong."""
    if not isinstance(text, str):
        raise ValueError("rules must be text, one rule per line")
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE:
            raise ValueError(f"line {number}: a rule is limited to {MAX_LINE} characters")
        try:
            rules.append(_parse_line(line, number))
        except ValueError as exc:
            raise ValueError(f"line {number} ({line[:80]!r}): {exc}") from None
    if len(rules) > MAX_RULES:
        raise ValueError(f"at most {MAX_RULES} rules")
    return rules


def _parse_line(text: str, number: int) -> FingerprintRule:
    line = _Line(text)
    matchers = []
    while True:
        line.skip_spaces()
        if line.text.startswith("->", line.pos):
            line.pos += 2
            break
        if line.pos >= len(line.text):
            raise ValueError("expected -> and a fingerprint after the matchers, e.g. error.type:ConnectionError -> connection-errors")
        if line.text[line.pos] in "[|":
            raise ValueError("caller and callee matchers ([ … ] |) are not supported")
        matchers.append(_matcher(line))
    if not matchers:
        raise ValueError("a rule needs at least one matcher before ->")
    values, title = _fingerprint(line)
    return FingerprintRule(tuple(matchers), tuple(values), title, number)


def _matcher(line: _Line) -> Matcher:
    found = _KEY.match(line.text, line.pos)
    if found is None:
        raise ValueError(f"expected matcher:value at character {line.pos + 1}")
    negated, key = bool(found.group(1)), (found.group(2) or found.group(3))
    key = _ALIASES.get(key, key)
    if key not in KEYS and not (key.startswith("tags.") and len(key) > 5):
        raise ValueError(f"unknown matcher {key!r}; use error.type, error.value, message, logger, level, tags.<name>, "
                         "release, sdk, family, stack.module, stack.function, stack.abs_path, stack.package or app")
    line.pos = found.end()
    if line.pos < len(line.text) and line.text[line.pos] == '"':
        pattern = line.quoted()
    else:
        start = line.pos
        while line.pos < len(line.text) and not line.text[line.pos].isspace():
            line.pos += 1
        pattern = line.text[start : line.pos]
    if pattern == "":
        raise ValueError(f"{key}: needs a value after the colon (quote a value with spaces)")
    if key == "app" and pattern.lower() not in _TRUE | _FALSE:
        raise ValueError("app: takes yes or no")
    return Matcher(key, pattern, negated)


def _fingerprint(line: _Line) -> tuple[list[str], str | None]:
    values, title = [], None
    while not line.at_end():
        if line.text[line.pos] == ",":
            line.pos += 1
            continue
        attribute = re.compile(r'([A-Za-z_]+)="').match(line.text, line.pos)
        if attribute:
            if attribute.group(1) != "title":
                raise ValueError(f"unknown attribute {attribute.group(1)!r}; only title=\"…\" is")
            line.pos = attribute.end() - 1
            title = line.quoted()
        elif line.text[line.pos] == '"':
            values.append(line.quoted())
        else:
            found = _VALUE.match(line.text, line.pos)
            if found is None:
                raise ValueError(f"unexpected {line.text[line.pos]!r} at character {line.pos + 1}")
            values.append(found.group(0))
            line.pos = found.end()
    values = [v for v in values if v.strip()]
    if not values:
        raise ValueError("expected a fingerprint after ->, e.g. -> connection-errors")
    if len(values) > MAX_VALUES:
        raise ValueError(f"a fingerprint has at most {MAX_VALUES} values")
    return values, title


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _quote(value: str) -> str:
    return value if value and not any(c.isspace() or c in '"\\' for c in value) else f'"{_escape(value)}"'


def _quote_value(value: str) -> str:
    return value if _VALUE.fullmatch(value) else f'"{_escape(value)}"'


# --- matching -------------------------------------------------------------------------------------


def match_rule(rules: tuple[FingerprintRule, ...], event: dict[str, Any]) -> FingerprintRule | None:
    """The first rule all of whose matchers hold for ``event``; None when none does (the usual case)."""
    if not rules:
        return None
    values = _EventValues(event)
    for rule in rules:
        if _holds(rule, values):
            return rule
    return None


class _EventValues:
    """What the matchers read of an event, each part read on first use."""

    def __init__(self, event: dict[str, Any]):
        self.event = event
        self._cache: dict[str, Any] = {}

    def get(self, name: str, build):
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    @property
    def exceptions(self) -> list[dict[str, str]]:
        return self.get("exceptions", lambda: [{"type": text(e.get("type")), "value": text(e.get("value"))}
                                                 for e in exception_values(self.event)])

    @property
    def frames(self) -> list[dict[str, Any]]:
        def build():
            stacks = [as_dict(e.get("stacktrace")) for e in exception_values(self.event)] + [as_dict(event_stacktrace(self.event))]
            return [
                {"module": text(f.get("module")), "function": text(f.get("function")), "package": text(f.get("package")),
                 "paths": [p for p in (text(f.get("abs_path")), text(f.get("filename"))) if p], "app": f.get("in_app") is True}
                for stack in stacks for f in as_list(stack.get("frames")) if isinstance(f, dict)
            ]
        return self.get("frames", build)

    @property
    def tags(self) -> dict[str, str]:
        return self.get("tags", lambda: dict(event_tags(self.event, text(self.event.get("level")).lower())))

    def scalar(self, key: str) -> str:
        event = self.event
        if key == "message":
            return self.get("message", lambda: message_text(event)[1] or message_text(event)[0])
        if key == "level":
            return text(event.get("level")).lower() or "error"
        if key == "sdk":
            return text(as_dict(event.get("sdk")).get("name"))
        if key == "family":
            return _family(text(event.get("platform")))
        return text(event.get(key))  # logger, release


def _family(platform: str) -> str:
    if platform in ("javascript", "node"):
        return "javascript"
    if platform in ("native", "c", "cocoa", "objc", "swift"):
        return "native"
    return "other"


def _holds(rule: FingerprintRule, values: _EventValues) -> bool:
    exception = [m for m in rule.matchers if m.key in _EXCEPTION_KEYS]
    frame = [m for m in rule.matchers if m.key in _FRAME_KEYS]
    if exception and not any(all(_matches(m, e.get(m.key, "")) for m in exception) for e in values.exceptions):
        return False
    if frame and not any(all(_frame_matches(m, f) for m in frame) for f in values.frames):
        return False
    for m in rule.matchers:
        if m.key in _EXCEPTION_KEYS or m.key in _FRAME_KEYS:
            continue
        if m.key.startswith("tags."):
            found = values.tags.get(m.key[5:])
            ok = found is not None and _glob(m.pattern, False).fullmatch(found) is not None
        elif m.key == "message":
            candidates = [values.scalar("message"), *(e["value"] for e in values.exceptions)]
            ok = any(c and _glob(m.pattern, True).fullmatch(c) for c in candidates)
        elif m.key in ("family", "sdk"):
            accepted = {p.strip() for p in m.pattern.split(",")}
            ok = "all" in accepted or values.scalar(m.key) in accepted
        else:
            ok = _plain(m, values.scalar(m.key))
        if ok == m.negated:
            return False
    return True


def _plain(m: Matcher, value: str) -> bool:
    if not value:
        return False
    if m.key in _PATH_KEYS:
        return _path_glob(m.pattern).fullmatch(value) is not None
    return _glob(m.pattern, m.key in _IGNORE_CASE).fullmatch(value) is not None


def _matches(m: Matcher, value: str) -> bool:
    return _plain(m, value) != m.negated


def _frame_matches(m: Matcher, frame: dict[str, Any]) -> bool:
    if m.key == "app":
        found = frame["app"] == (m.pattern.lower() in _TRUE)
    elif m.key == "path":
        found = any(_path_glob(m.pattern).fullmatch(p.replace("\\", "/")) or
                    (not p.startswith("/") and _path_glob(m.pattern).fullmatch("/" + p.replace("\\", "/"))) for p in frame["paths"])
    else:
        found = _plain(Matcher(m.key, m.pattern), frame[m.key])
    return bool(found) != m.negated


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern:
    """``*`` any run of characters, ``?`` one; everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@lru_cache(maxsize=1024)
def _path_glob(pattern: str) -> re.Pattern:
    """Paths: ``**`` crosses ``/``, ``*`` and ``?`` do not; case ignored."""
    parts, i = [], 0
    pattern = pattern.replace("\\", "/")
    while i < len(pattern):
        if pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
