"""The group list's search: Sentry's issue search syntax, parsed into terms the list filters by.

https://docs.sentry.io/concepts/search/ — a query is terms separated by spaces:

- ``key:value`` or ``key:"a value with spaces"`` (``\\"`` escapes a quote), ``!key:value`` negates;
  ``*`` in a value is a wildcard (``url:*checkout*``);
- ``is:unresolved|resolved|ignored`` (``archived`` is ignored, as Sentry calls it now),
  ``is:assigned|unassigned``;
- ``assigned:me|none|<username>``; ``release:latest|<version>``; ``environment:<name>``;
- ``has:<tag>`` (``!has:<tag>``): the group's events carried that tag at all;
- any other key is a tag (triage.digest.tags): ``browser:"Chrome 120"``, ``user.segment:paid``,
  ``server_name:web-1``, a custom tag;
- everything else is free text, searched in titles, culprits and messages (``"quoted text"``
  keeps its spaces).

`parse_search` never touches the database and raises SearchError, whose message says what is
wrong and where, for anything it cannot read; queries.filter_groups applies the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

MAX_QUERY = 500
MAX_TERMS = 20
STATUSES = {"unresolved": "unresolved", "resolved": "resolved", "ignored": "ignored", "archived": "ignored"}
ASSIGNMENT = {"assigned": True, "unassigned": False}
_KEY = re.compile(r"(!?)([A-Za-z0-9_][A-Za-z0-9_.\-]*):")


class SearchError(ValueError):
    """A query the list cannot read; the message is for the person who typed it."""


@dataclass(frozen=True)
class TagTerm:
    key: str
    value: str  # may hold * wildcards
    negated: bool = False

    @property
    def is_pattern(self) -> bool:
        return "*" in self.value


@dataclass(frozen=True)
class GroupSearch:
    text: str = ""  # free text, words joined by single spaces
    statuses: tuple[str, ...] = ()
    assigned: tuple[str, ...] = ()  # usernames, "me" or "none"
    is_assigned: bool | None = None
    releases: tuple[str, ...] = ()  # versions, or "latest"
    environments: tuple[str, ...] = ()
    tags: tuple[TagTerm, ...] = ()
    has: tuple[tuple[str, bool], ...] = ()  # (tag key, negated)

    def for_user(self, username: str) -> GroupSearch:
        """``assigned:me`` made the viewer's username."""
        return replace(self, assigned=tuple(username if a == "me" else a for a in self.assigned))

    @property
    def usernames(self) -> set[str]:
        return {a for a in self.assigned if a not in ("me", "none")}


@dataclass
class _Terms:
    text: list[str] = field(default_factory=list)
    fields: dict[str, list] = field(default_factory=dict)

    def add(self, name: str, value) -> None:
        self.fields.setdefault(name, []).append(value)


def parse_search(query: str) -> GroupSearch:
    """The terms of ``query``; SearchError for one it cannot read."""
    if len(query) > MAX_QUERY:
        raise SearchError(f"The search is {len(query)} characters long; keep it under {MAX_QUERY}.")
    terms, position, count = _Terms(), 0, 0
    while True:
        while position < len(query) and query[position].isspace():
            position += 1
        if position >= len(query):
            break
        count += 1
        if count > MAX_TERMS:
            raise SearchError(f"The search has more than {MAX_TERMS} terms; narrow it down.")
        position = _term(query, position, terms)
    f = terms.fields
    return GroupSearch(
        text=" ".join(terms.text), statuses=tuple(f.get("is", ())), assigned=tuple(f.get("assigned", ())),
        is_assigned=_last(f.get("is_assigned")), releases=tuple(f.get("release", ())),
        environments=tuple(f.get("environment", ())), tags=tuple(f.get("tag", ())), has=tuple(f.get("has", ())),
    )


def _last(values):
    return values[-1] if values else None


def _term(query: str, start: int, terms: _Terms) -> int:
    """Reads one term at ``start``; returns the position after it."""
    if query[start] == '"':
        value, end = _quoted(query, start)
        if value.strip():
            terms.text.append(value.strip())
        return end
    found = _KEY.match(query, start)
    if found is None:
        end = _bare_end(query, start)
        terms.text.append(query[start:end])
        return end
    negated, key = bool(found.group(1)), found.group(2)
    position = found.end()
    if position < len(query) and query[position] == '"':
        value, end = _quoted(query, position)
    else:
        end = _bare_end(query, position)
        value = query[position:end]
    if value == "":
        raise SearchError(f"“{key}:” at character {start + 1} needs a value, e.g. {key}:something (quote a value with spaces).")
    _assign(key.lower() if key.lower() in ("is", "assigned", "release", "environment", "has") else key, value, negated, terms)
    return end


def _bare_end(query: str, start: int) -> int:
    end = start
    while end < len(query) and not query[end].isspace():
        if query[end] == '"':
            raise SearchError(f"Unexpected quote at character {end + 1}: quote a whole value, e.g. browser:\"Chrome 120\".")
        end += 1
    return end


def _quoted(query: str, start: int) -> tuple[str, int]:
    """The text of the quoted string opening at ``start`` (with \\" and \\\\ escapes), and the position after it."""
    chars, position = [], start + 1
    while position < len(query):
        char = query[position]
        if char == "\\" and position + 1 < len(query):
            chars.append(query[position + 1])
            position += 2
            continue
        if char == '"':
            end = position + 1
            if end < len(query) and not query[end].isspace():
                raise SearchError(f"Put a space after the closing quote at character {position + 1}.")
            return "".join(chars), end
        chars.append(char)
        position += 1
    raise SearchError(f"The quote opened at character {start + 1} is never closed.")


def _assign(key: str, value: str, negated: bool, terms: _Terms) -> None:
    if key in ("is", "assigned", "release", "environment") and negated:
        raise SearchError(f"“!{key}:” is not supported; search for what you want, e.g. is:unresolved.")
    if key == "is":
        lowered = value.lower()
        if lowered in STATUSES:
            terms.add("is", STATUSES[lowered])
        elif lowered in ASSIGNMENT:
            terms.add("is_assigned", ASSIGNMENT[lowered])
        else:
            raise SearchError(f"“is:{value}” is not a state; use is:unresolved, is:resolved, is:ignored, is:assigned or is:unassigned.")
    elif key == "assigned":
        terms.add("assigned", value.lower() if value.lower() in ("me", "none") else value)
    elif key in ("release", "environment"):
        terms.add(key, value)
    elif key == "has":
        terms.add("has", (value, negated))
    else:
        terms.add("tag", TagTerm(key, value, negated))


def quote_value(value: str) -> str:
    """``value`` as a search value: bare when it can be, else quoted with escapes."""
    if value and not any(c.isspace() or c in '"\\' for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tag_term(key: str, value: str) -> str:
    """The search for one tag value, as the group page links it: ``browser:"Chrome 120"``."""
    return f"{key}:{quote_value(value)}"
