"""The event's own ``fingerprint`` array: entries replace default grouping, ``{{ default }}`` keeps it.

Variables follow Sentry's names
(https://docs.sentry.io/concepts/data-management/event-grouping/fingerprint-rules/) and may stand
alone or inside an entry (``"payments-{{ error.type }}"``). A variable with no value becomes
``<no-name>``, so a missing transaction still groups consistently instead of vanishing from the hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from triage.fingerprint.event import as_list, text
from triage.fingerprint.model import Component

# Bounds against a client sending a huge list or a megabyte entry; neither would group better.
MAX_ENTRIES = 32
MAX_ENTRY_CHARS = 512

_DEFAULT = re.compile(r"\s*\{\{\s*default\s*\}\}\s*")
_VARIABLE = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")

VariableLookup = Callable[[str], str]


def fingerprint_entries(event: dict[str, Any]) -> list[str]:
    """The client fingerprint as strings; empty when absent, malformed or all blank."""
    entries = [text(entry)[:MAX_ENTRY_CHARS] for entry in as_list(event.get("fingerprint"))[:MAX_ENTRIES]]
    return [entry for entry in entries if entry.strip()]


def resolve_variables(entry: str, lookup: VariableLookup) -> str:
    """``entry`` with its ``{{ variables }}`` replaced (a fingerprint rule's title uses this too)."""
    return _resolve(entry, lookup)


def _resolve(entry: str, lookup: VariableLookup) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        return lookup(name)[:MAX_ENTRY_CHARS] or f"<no-{name}>"

    return _VARIABLE.sub(substitute, entry)


def apply_fingerprint(
    entries: Sequence[str], default: Sequence[Component], lookup: VariableLookup, source: str = "the event's fingerprint"
) -> list[Component]:
    """Components for an event with a client fingerprint (or a project's fingerprint rule's:
    ``source`` names it in the hints).

    ``{{ default }}`` is replaced in place by the default components, so ``["{{ default }}"]`` alone
    hashes exactly like no fingerprint at all. Without it, the default components stay listed for
    the explanation but stop contributing.
    """
    components: list[Component] = []
    keeps_default = False
    for entry in entries:
        if _DEFAULT.fullmatch(entry):
            keeps_default = True
            components.extend(default)
            continue
        value = _resolve(entry, lookup)
        components.append(Component("custom", value, True, f"from {source} entry {entry!r}"))
    if keeps_default:
        return components
    replaced = [
        Component(c.name, c.value, False, f"ignored: replaced by {source}")
        if c.contributes
        else c
        for c in default
    ]
    return components + replaced
