"""The result types of fingerprinting: what the grouping stage stores and the UI explains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Component:
    """One input to the hash, kept even when it did not count so the UI can say why.

    ``name`` is one of: exception-type, site, value, cause, leaf, exception-group, frame, rule,
    message, custom, fallback; switchyard-v2 adds caller, context-line and raise-helper.
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
    # Set by switchyard-v2 when the crash site may be a raise-helper (see raise_helpers.py).
    raise_helper: RaiseHelper | None = field(default=None, compare=False)
    # The project's fingerprint rule that decided (its text), if one did (fingerprint_rules.py).
    rule: str = field(default="", compare=False)


class RaiseHelper:
    """An in-app frame that raised explicitly, with its direct in-app caller and what it said.

    Once a project has seen ``frame`` raise for several distinct callers, each with messages of its
    own, it is a raise-helper, and ``fingerprint`` (the same event with the caller as its site)
    groups the event instead. ``message`` and ``fingerprint`` are worked out on first use: most
    events never need them, and parameterising a message would double their cost.
    """

    __slots__ = ("frame", "caller", "_message", "_fingerprint")

    def __init__(
        self, frame: str, caller: str, message: Callable[[], str], fingerprint: Callable[[], Fingerprint]
    ) -> None:
        self.frame = frame
        self.caller = caller
        self._message: str | Callable[[], str] = message
        self._fingerprint: Fingerprint | Callable[[], Fingerprint] = fingerprint

    @property
    def message(self) -> str:
        """The parameterised exception value."""
        if callable(self._message):
            self._message = self._message()
        return self._message

    @property
    def fingerprint(self) -> Fingerprint:
        if callable(self._fingerprint):
            self._fingerprint = self._fingerprint()
        return self._fingerprint

    @property
    def observation(self) -> tuple[str, str, str]:
        """(frame, caller, message), what triage.fingerprint.raise_helpers learns from."""
        return self.frame, self.caller, self.message

    def __repr__(self) -> str:
        return f"RaiseHelper({self.frame!r}, caller={self.caller!r})"
