"""The result types of fingerprinting: what the grouping stage stores and the UI explains."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Component:
    """One input to the hash, kept even when it did not count so the UI can say why.

    ``name`` is one of: exception-type, site, value, cause, leaf, exception-group, frame, rule,
    message, custom, fallback.
    """

    name: str
    value: str
    contributes: bool
    hint: str


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The grouping decision for one event.

    ``hash`` covers only the contributing components; everything else here is for display and for
    secondary lookups (``call_path_hash``), never for identity.
    """

    hash: str
    algorithm: str
    components: tuple[Component, ...]
    title: str
    culprit: str
    call_path: tuple[str, ...]
    call_path_hash: str
