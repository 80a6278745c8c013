"""The group page's flags panel: every flag on the group's events, the suspects first with their
evidence in plain words, each with its state, owner, last change and kill button."""

from __future__ import annotations

from dataclasses import dataclass, field

from triage import flagstate
from triage.attribution.evidence import Attribution
from triage.attribution.ranking import Suspicion
from triage.attribution.suspects import FlagShare, group_flag_shares
from triage.models import ErrorGroup


@dataclass
class FlagRow:
    key: str
    values: list[FlagShare]  # the flag's values on the group's events, by share
    flag: object | None  # flags.models.Flag, when the flags app manages this key
    environment: str
    enabled: bool | None  # in `environment`; None for an unmanaged key
    last_change: object | None = None  # flags.models.FlagChange
    suspicion: Suspicion | None = None
    top: bool = False  # the best explanation of the group: its kill button leads
    changes: list = field(default_factory=list)

    @property
    def suspect(self) -> bool:
        return bool(self.suspicion and self.suspicion.suspect)


def flag_panel(group: ErrorGroup, attribution: Attribution) -> list[FlagRow]:
    """One row per flag key seen on the group's events, in the attribution's order (suspects
    first), then the others by their commonest value's share. Three queries."""
    environment = attribution.environment
    shares = group_flag_shares(group, attribution.suspicions)
    keys = list(dict.fromkeys([s.key for s in attribution.suspicions] + [s.key for s in shares]))
    flags = flagstate.flags_by_key([group.project_id], keys)
    last_change = {}
    for change in flagstate.changes(group.project_id, keys, limit=200):
        last_change.setdefault(change.flag_key, change)
    by_suspicion = {s.key: s for s in attribution.suspicions}
    top = attribution.top
    rows = []
    for key in keys:
        flag = flags.get((group.project_id, key))
        enabled = flagstate.enabled_in(flag, environment) if flag else None
        values = [s for s in shares if s.key == key]
        rows.append(FlagRow(key, values, flag, environment, enabled, last_change.get(key), by_suspicion.get(key),
                            top is not None and top.key == key))
    return rows
