"""Project stack rules: globs that mark helper frames, so the helper's caller becomes the crash site.

Grammar, one rule per line: ``<matcher>:<glob>`` with matcher ``function``, ``module`` or ``path``;
blank lines and lines starting with ``#`` are ignored. Sentry's ``stack.function`` style names are
accepted as aliases. Globs are :mod:`fnmatch` globs (``*`` also crosses dots and slashes).

- ``function`` matches the bare function name or ``module.function``:
  ``function:fail``, ``function:shop.utils.*``.
- ``module`` matches the frame's module (or file basename when the SDK sent no module).
- ``path`` matches ``filename`` or ``abs_path`` case-insensitively; a glob without ``/`` also
  matches the basename, so ``path:errors.py`` works without ``**/``.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from triage.fingerprint.event import Frame

MATCHERS = ("function", "module", "path")
_ALIASES = {
    "stack.function": "function",
    "stack.module": "module",
    "stack.abs_path": "path",
    "stack.path": "path",
}
MAX_RULE_CHARS = 500

# Returns the rule text that matched the frame, or None.
HelperMatcher = Callable[[Frame], "str | None"]


class Rule(NamedTuple):
    matcher: str
    glob: str

    def __str__(self) -> str:
        return f"{self.matcher}:{self.glob}"


def parse_rule(line: str) -> Rule:
    """Parse one non-comment line; raise ValueError saying what is wrong with it."""
    matcher, sep, glob = line.strip().partition(":")
    matcher = _ALIASES.get(matcher.strip().lower(), matcher.strip().lower())
    glob = glob.strip()
    if not sep:
        raise ValueError("expected <matcher>:<glob>, e.g. function:fail")
    if matcher not in MATCHERS:
        raise ValueError(f"unknown matcher {matcher!r}; use one of: {', '.join(MATCHERS)}")
    if not glob:
        raise ValueError(f"{matcher}: needs a glob after the colon")
    if any(ch.isspace() for ch in glob):
        # Also catches Sentry-style actions ("-group", "+app") that this grammar does not have.
        raise ValueError(
            "a glob cannot contain spaces (use ? or *); actions such as -group are not supported"
        )
    if len(glob) > MAX_RULE_CHARS:
        raise ValueError(f"a glob is limited to {MAX_RULE_CHARS} characters")
    return Rule(matcher, glob)


def parse_rules(text: str) -> list[str]:
    """Validate a project's rules text and return its rules, normalised, one string per rule.

    Raises ValueError naming the first bad line, e.g. ``line 3 ('func:fail'): unknown matcher …``.
    """
    if not isinstance(text, str):
        raise ValueError("rules must be text, one rule per line")
    rules: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            rules.append(str(parse_rule(stripped)))
        except ValueError as exc:
            raise ValueError(f"line {number} ({stripped[:80]!r}): {exc}") from None
    return rules


def _compile(rule: Rule) -> Callable[[Frame], bool]:
    if rule.matcher == "path":
        pattern = re.compile(fnmatch.translate(rule.glob.replace("\\", "/")), re.IGNORECASE)
        basename_too = "/" not in rule.glob

        def match_path(frame: Frame) -> bool:
            paths = (frame.filename.replace("\\", "/"), frame.abs_path.replace("\\", "/"))
            if any(p and pattern.match(p) for p in paths):
                return True
            return basename_too and bool(pattern.match(paths[0].rsplit("/", 1)[-1]))

        return match_path
    pattern = re.compile(fnmatch.translate(rule.glob))
    if rule.matcher == "module":
        return lambda frame: pattern.match(frame.module) is not None
    return lambda frame: pattern.match(frame.function) is not None or pattern.match(frame.label) is not None


@functools.lru_cache(maxsize=256)
def compile_rules(rules: tuple[str, ...]) -> HelperMatcher | None:
    """Build one matcher for a project's rules; cached because every event of a project reuses them.

    Invalid rules are skipped rather than raised: they should have been rejected by parse_rules when
    saved, and grouping must not fail because of stale configuration.
    """
    compiled: list[tuple[str, Callable[[Frame], bool]]] = []
    for text in rules:
        try:
            rule = parse_rule(text)
        except (ValueError, AttributeError):
            continue
        compiled.append((str(rule), _compile(rule)))
    if not compiled:
        return None

    def first_match(frame: Frame) -> str | None:
        for text, matches in compiled:
            if matches(frame):
                return text
        return None

    return first_match


def helper_matcher(rules: Sequence[str]) -> HelperMatcher | None:
    """The cached matcher for ``rules``, or None when there are none (the common, fast case)."""
    if not rules:
        return None
    if isinstance(rules, str):
        rules = rules.splitlines()
    try:
        key = tuple(r for r in rules if isinstance(r, str))
    except TypeError:
        return None
    return compile_rules(key)
