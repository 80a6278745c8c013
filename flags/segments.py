"""Segments: reusable named groups of users of a project, one function per change.

A segment holds targeting keys listed in (`included`) or out (`excluded`, which wins), and rules
on context attributes, any one of which puts a context in. Flags target it from their rules with
`{"op": "in_segment", "value": ["beta-testers"]}`. Editing a segment is one change, audited like
a flag's (action `segment_created`/`segment_updated`/`segment_deleted`, with before and after),
and published to every environment of the project on commit, so the next OFREP answer of every
flag that uses it reflects it, and change streams name those flags.
"""

from __future__ import annotations

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from flags import audit, cache
from flags.environments import project_environments
from flags.models import FlagEnvironment, Segment
from flags.validation import (
    InvalidChange,
    validate_segment_key,
    validate_segment_rules,
    validate_targeting_keys,
)

EDITABLE = ["name", "description", "included", "excluded", "rules"]


def clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidChange(f"unknown segment field(s): {', '.join(sorted(unknown))} (known: {', '.join(EDITABLE)})")
    cleaned = dict(fields)
    for name in ("name", "description"):
        if name in cleaned and not isinstance(cleaned[name], str):
            raise InvalidChange(f"{name} must be a string")
    for name in ("included", "excluded"):
        if name in cleaned:
            cleaned[name] = validate_targeting_keys(cleaned[name], name)
    if "rules" in cleaned:
        cleaned["rules"] = validate_segment_rules(cleaned["rules"])
    return cleaned


def _publish_on_commit(project_id: int, key: str, change) -> None:
    event = {"segment": key, "action": change.action, "change": change.id}
    transaction.on_commit(partial(cache.publish, project_id, project_environments(project_id), event))


def create_segment(project, *, key: str, actor, source: str, reason: str = "", **fields) -> Segment:
    validate_segment_key(key)
    cleaned = clean_fields(fields)
    now = timezone.now()
    try:
        with transaction.atomic():
            segment = Segment.objects.create(project=project, key=key, name=cleaned.pop("name", "") or key,
                                             created_at=now, updated_at=now, **cleaned)
            change = audit.record(project=project, flag=None, segment_key=key, action="segment_created", source=source,
                                  actor=actor, after=audit.segment_snapshot(segment), reason=(reason or "").strip())
            _publish_on_commit(project.id, key, change)
    except IntegrityError:
        raise InvalidChange(f"a segment with key {key!r} already exists in this project") from None
    return segment


def update_segment(segment: Segment, fields: dict, *, actor, source: str, reason: str = ""):
    """Edits the segment; None when nothing changed. Every flag using it changes with it."""
    cleaned = clean_fields(fields)
    with transaction.atomic():
        segment = Segment.objects.select_for_update().select_related("project").get(pk=segment.pk)
        before = audit.segment_snapshot(segment)
        for name, value in cleaned.items():
            setattr(segment, name, value)
        if not (segment.name or "").strip():
            raise InvalidChange("a segment needs a name")
        after = audit.segment_snapshot(segment)
        if after == before:
            return None
        segment.updated_at = timezone.now()
        segment.save()
        change = audit.record(project=segment.project, flag=None, segment_key=segment.key, action="segment_updated",
                              source=source, actor=actor, before=before, after=after, reason=(reason or "").strip())
        _publish_on_commit(segment.project_id, segment.key, change)
    return change


def flags_using(segment: Segment) -> list[tuple[str, str]]:
    """(flag key, environment) of every flag state whose rules refer to the segment."""
    found = []
    states = FlagEnvironment.objects.filter(flag__project_id=segment.project_id).exclude(rules=[]).select_related("flag")
    for state in states:
        for rule in state.rules:
            if any(c.get("op") in ("in_segment", "not_in_segment") and segment.key in c.get("value", ())
                   for c in rule["conditions"]):
                found.append((state.flag.key, state.environment))
                break
    return sorted(found)


def delete_segment(segment: Segment, *, actor, source: str, reason: str = ""):
    """Refused while a flag's rules use it: they would silently stop matching."""
    used = flags_using(segment)
    if used:
        names = ", ".join(f"{key} ({environment})" for key, environment in used)
        raise InvalidChange(f"segment {segment.key!r} is used by {names}: remove it from their rules first")
    with transaction.atomic():
        change = audit.record(project=segment.project, flag=None, segment_key=segment.key, action="segment_deleted",
                              source=source, actor=actor, before=audit.segment_snapshot(segment),
                              reason=(reason or "").strip())
        project_id, key = segment.project_id, segment.key
        segment.delete()
        _publish_on_commit(project_id, key, change)
    return change
