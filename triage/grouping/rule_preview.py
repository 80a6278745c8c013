"""What a change of fingerprint rules would do, before it is saved: which existing groups would
stop receiving some of their events, how many of their recent events, and where those would go.

Rules apply to new events only (stored events keep their groups), so the preview replays the
project's recent events (the newest PREVIEW_EVENTS of the last PREVIEW_DAYS days) through the
grouping with the saved rules and with the proposed ones. An event counts as changed when the
two fingerprints differ and the new one does not lead to the group the event is in already;
where the new one leads is an existing group (found as the digest would find it) or a new group.
Only events that a rule matches, saved or proposed, are fingerprinted again: the rest cannot
change. 5,000 events of about 6 KB took 1.0 to 1.5 s on a busy 2-core machine.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from triage.fingerprint import FingerprintRule, fingerprint_event
from triage.fingerprint.fingerprint_rules import match_rule
from triage.grouping.rule_changes import (
    check_fingerprint_rules,
    project_fingerprint_rules,
    project_stack_rules,
)
from triage.models import ErrorEvent, ErrorGroup, GroupFingerprint
from triage.payloads import read_payload

PREVIEW_EVENTS = 5000
PREVIEW_DAYS = 7


@dataclass(frozen=True)
class Destination:
    fingerprint: str
    group: ErrorGroup | None  # None: a group the rules would make
    title: str  # the new group's, when there is none yet
    rule: str  # the rule that decides, or "" for the default grouping


@dataclass
class GroupChange:
    group: ErrorGroup
    sampled: int  # its events among those replayed
    moving: int  # of them, those that would land elsewhere
    destinations: list[tuple[Destination, int]] = field(default_factory=list)


@dataclass
class RulePreview:
    rules: list[FingerprintRule]
    sampled: int
    since: dt.datetime
    changes: list[GroupChange]
    matched: dict[int, int]  # proposed rule line → recent events it matches

    @property
    def moving(self) -> int:
        return sum(c.moving for c in self.changes)

    @property
    def new_groups(self) -> int:
        return len({d.fingerprint for c in self.changes for d, _ in c.destinations if d.group is None})

    @property
    def rule_matches(self) -> list[tuple[FingerprintRule, int]]:
        """Each proposed rule with the recent events it would decide (first match wins)."""
        return [(rule, self.matched.get(rule.line, 0)) for rule in self.rules]


def preview_rules(project, text: str, now: dt.datetime, limit: int = PREVIEW_EVENTS, days: int = PREVIEW_DAYS) -> RulePreview:
    """ValueError when `text` does not parse (the message says which line and why)."""
    proposed = tuple(check_fingerprint_rules(text))
    current, stack = project_fingerprint_rules(project), project_stack_rules(project)
    since = now - dt.timedelta(days=days)
    recent = ErrorEvent.objects.filter(project=project, received_at__gte=since).order_by("-id").values_list("group_id", "payload")[:limit]
    sampled, moves, matched = Counter(), Counter(), Counter()
    looks: dict[str, tuple[str, str]] = {}
    for group_id, payload in recent.iterator(chunk_size=500):
        sampled[group_id] += 1
        event = read_payload(payload)
        before, after = match_rule(current, event), match_rule(proposed, event)
        if after is not None:
            matched[after.line] += 1
        if (before.text if before else None) == (after.text if after else None):
            continue  # the same rule, or none, decides both times: the same fingerprint
        new = fingerprint_event(event, stack, fingerprint_rules=proposed)
        if new.hash != fingerprint_event(event, stack, fingerprint_rules=current).hash:
            moves[(group_id, new.hash)] += 1
            looks[new.hash] = (new.title, new.rule)
    found = _groups_of(project, set(looks))
    groups = ErrorGroup.objects.in_bulk({g for g, _ in moves} | {g for g in found.values()})
    changes: dict[int, GroupChange] = {}
    for (group_id, fingerprint), n in moves.items():
        target = found.get(fingerprint)
        if target == group_id:
            continue  # merged into this group already, or its own fingerprint
        change = changes.setdefault(group_id, GroupChange(groups[group_id], sampled[group_id], 0))
        change.moving += n
        title, rule = looks[fingerprint]
        change.destinations.append((Destination(fingerprint, groups.get(target), title, rule), n))
    ordered = sorted(changes.values(), key=lambda c: (-c.moving, c.group.id))
    return RulePreview(list(proposed), sum(sampled.values()), since, ordered, dict(matched))


def _groups_of(project, fingerprints: set[str]) -> dict[str, int]:
    """Fingerprint → the group it finds, as the digest looks it up (triage.grouping.groups)."""
    if not fingerprints:
        return {}
    found = dict(GroupFingerprint.objects.filter(project=project, fingerprint__in=fingerprints).values_list("fingerprint", "group_id"))
    found.update(ErrorGroup.objects.filter(project=project, fingerprint__in=fingerprints).values_list("fingerprint", "id"))
    return found
