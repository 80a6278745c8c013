"""Ownership rules in CODEOWNERS syntax: parsed, checked and matched against a frame. Pure.

GitHub's grammar (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners):
a line is ``pattern owner…``; ``#`` starts a comment; the last line whose pattern matches wins, and
a line with no owners leaves what it matches unowned. Patterns follow gitignore's rules with
GitHub's exceptions: ``!`` negation and ``[ ]`` ranges are not supported (such lines are skipped
with a problem, as GitHub skips invalid lines), and ``docs/*`` owns the files directly in ``docs/``
but not those further down. Owners are ``@username``, ``@org/team`` or an email address.

Sentry's own rule syntax (https://docs.sentry.io/product/issues/ownership-rules/) works too, so its
rules can be pasted in: ``path:<pattern>`` (the same patterns), ``module:<glob>`` (matched against
the frame's module, ``*`` crossing dots) and ``#team`` owners on such lines. Its ``url:`` and
``tags.*:`` rules name event fields, not frames: skipped with a problem.

Which users the owners are is the caller's business (triage.attribution.owners), as is which
paths a frame has: ``candidate_paths`` turns a frame's file names into the paths rules test.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

# GitHub refuses CODEOWNERS files over 3 MB; so do we.
MAX_BYTES = 3 * 1024 * 1024
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_UNSUPPORTED_PREFIX = re.compile(r"^(url|tags\.[^:\s]+):", re.I)


@dataclass(frozen=True)
class Owner:
    kind: str  # "user", "email" or "team"
    name: str  # a username, an email (lower-cased) or a team's slug (without its organisation)
    text: str  # as written


@dataclass(frozen=True)
class Rule:
    line: int
    kind: str  # "path" or "module"
    pattern: str  # as written, prefix included
    owners: tuple[Owner, ...]
    regex: re.Pattern | None  # path rules; module rules glob with fnmatch

    @property
    def text(self) -> str:
        return " ".join([self.pattern, *(o.text for o in self.owners)])

    @property
    def sentry_style(self) -> bool:
        return self.pattern.lower().startswith(("path:", "module:"))

    def matches(self, paths: Sequence[str], module: str) -> bool:
        if self.kind == "module":
            return bool(module) and fnmatch.fnmatchcase(module, self.pattern.split(":", 1)[1])
        return any(self.regex.fullmatch(path) for path in paths)


@dataclass(frozen=True)
class Ruleset:
    rules: tuple[Rule, ...]
    problems: tuple[str, ...]  # lines skipped, each with its line number and why


def check_size(text: str) -> None:
    """ValueError when the rules are larger than GitHub accepts."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ValueError("Ownership rules are limited to 3 MB, as GitHub limits CODEOWNERS files.")


# Keyed by the text: a project's rules are parsed once per process, not per suggestion. Few
# entries, as a text may be 3 MB.
@functools.lru_cache(maxsize=16)
def parse_codeowners(text: str) -> Ruleset:
    """The rules of a CODEOWNERS text, in order, and the problems of the lines it skipped. Never
    raises: a line it cannot use is a problem, the others still count (GitHub does the same)."""
    rules, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            rule = _parse_line(number, line)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if rule is not None:
            rules.append(rule)
    return Ruleset(tuple(rules), tuple(problems))


def owning_rule(ruleset: Ruleset, paths: Sequence[str], module: str) -> Rule | None:
    """The last rule that matches any of the paths (or the module): the one that decides."""
    for rule in reversed(ruleset.rules):
        if rule.matches(paths, module):
            return rule
    return None


def _parse_line(number: int, line: str) -> Rule | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith(("[", "^[")):
        raise ValueError("GitLab sections are not supported; list the rules without the section header")
    tokens = _tokens(line)
    if not tokens:
        return None
    pattern, owner_texts = tokens[0], tokens[1:]
    if _UNSUPPORTED_PREFIX.match(pattern):
        raise ValueError(f"{pattern.split(':', 1)[0]}: rules match event fields, not frames; only path: and module: rules are supported")
    sentry_style = pattern.lower().startswith(("path:", "module:"))
    if not sentry_style:  # in a CODEOWNERS line a # starts a comment; in Sentry's syntax, a team
        owner_texts = owner_texts[: next((i for i, t in enumerate(owner_texts) if t.startswith("#")), len(owner_texts))]
    owners = tuple(_owner(text.replace("\\", "")) for text in owner_texts)
    if pattern.lower().startswith("module:"):
        if not pattern.split(":", 1)[1]:
            raise ValueError("module: needs a module pattern")
        return Rule(number, "module", pattern, owners, None)
    body = pattern.split(":", 1)[1] if pattern.lower().startswith("path:") else pattern
    return Rule(number, "path", pattern, owners, _compile(body))


def _tokens(line: str) -> list[str]:
    """Whitespace-separated tokens; a backslash escapes a space or a leading # (kept in the token,
    so the pattern compiler sees which characters were escaped)."""
    tokens: list[str] = []
    current: list[str] = []
    chars = iter(line)
    for char in chars:
        if char == "\\":
            current.append(char + next(chars, ""))
        elif char.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def _owner(text: str) -> Owner:
    if text.startswith("@") and "/" in text:
        team = text[1:].split("/", 1)[1]
        if not team:
            raise ValueError(f"{text} names no team (write @org/team)")
        return Owner("team", team.lower(), text)
    if text.startswith("#") and len(text) > 1:
        return Owner("team", text[1:].lower(), text)
    if text.startswith("@") and len(text) > 1:
        return Owner("user", text[1:], text)
    if "@" in text.strip("@"):
        return Owner("email", text.lower(), text)
    if text.strip("@#"):
        return Owner("user", text, text)  # GitHub wants @name; a bare username is taken as meant
    raise ValueError(f"{text!r} is not an owner (write @username, @org/team or an email)")


def _compile(pattern: str) -> re.Pattern:
    """gitignore semantics as GitHub applies them to CODEOWNERS, matched against a path relative
    to the repository's root (no leading slash)."""
    if pattern.startswith("!"):
        raise ValueError("negation (!) is not supported in CODEOWNERS")
    if re.search(r"(?<!\\)\[", pattern):
        raise ValueError("character ranges ([ ]) are not supported in CODEOWNERS")
    directory = pattern.endswith("/")
    body = pattern.rstrip("/")
    anchored = "/" in body  # a slash at the start or in the middle ties it to the root
    body = body.lstrip("/")
    if not body:
        raise ValueError(f"{pattern!r} matches nothing (write * for every file)")
    if directory:
        tail = "/.*"
    elif body == "*" or body.endswith("/*"):
        tail = ""  # docs/* owns docs/a.rst, not docs/build/b.rst (GitHub's documented exception)
    else:
        tail = "(?:/.*)?"  # a file, or a directory and everything in it
    return re.compile(("" if anchored else "(?:.*/)?") + _translate(body) + tail, re.S)


def _translate(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        elif body.startswith("**/", i) and (i == 0 or body[i - 1] == "/"):
            out.append("(?:.*/)?")  # zero or more directories
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    return "".join(out)


def normalize_path(path: str) -> str:
    """A frame's file name as a slash-separated path: URL scheme (and a web URL's host) dropped,
    backslashes as slashes, no empty or "." parts, no leading slash."""
    path = path.replace("\\", "/").strip()
    scheme = _SCHEME.match(path)
    if scheme:
        rest = path[scheme.end():]
        path = rest.split("/", 1)[1] if scheme.group().lower().startswith("http") and "/" in rest else rest
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def candidate_paths(*paths: str) -> tuple[str, ...]:
    """Every tail of each path at a slash (``srv/app/shop/a.py``, ``app/shop/a.py``, ``shop/a.py``,
    ``a.py``). Where the repository's root lies inside a deployed path is unknown (Sentry asks for
    code mappings); trying each tail lets ``/shop/`` match ``/srv/app/shop/a.py`` without one."""
    found: dict[str, None] = {}
    for path in paths:
        parts = normalize_path(path).split("/") if path else []
        for start in range(len(parts)):
            found.setdefault("/".join(parts[start:]))
    return tuple(p for p in found if p)
