"""New groups get their responsible developer: suggested, recorded in their history and, where
the project auto-assigns, assigned, in a Celery task after the digest committed them.

The worker's part is one query per batch (`queue_suggestions`, called once the batch is
acknowledged); reading events, matching rules and commits run in the task (triage.tasks
suggest_owners). Only ownership rules and commits are weighed here: they are known as soon as the
group exists. A flag owner needs the flags' evidence, which the attribution task weighs later; it
records its own suggestion through triage.actions (record_suggestion, auto_assign), and nothing
here replaces it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from projects.models import Project
from triage import actions
from triage.attribution import owners
from triage.grouping.counters import Counted
from triage.models import ErrorGroup, GroupStatus, GroupSubstatus, GroupSuggestion


def new_group_ids(counted: Sequence[Counted]) -> list[int]:
    """Ids of the batch's groups that look new: untriaged, unassigned and first seen within the
    batch. One query. A group made by a concurrent batch may be listed twice; the task is
    idempotent, so that costs a repeat, never a second assignment."""
    ids = {c.group_id for c in counted if c.group_id}
    if not ids:
        return []
    since = min(c.received_at for c in counted if c.group_id)
    return list(
        ErrorGroup.objects.filter(
            id__in=ids, first_seen__gte=since, status=GroupStatus.UNRESOLVED, substatus=GroupSubstatus.NEW,
            assignee__isnull=True,
        ).values_list("id", flat=True)
    )


def queue_suggestions(counted: Sequence[Counted]) -> None:
    """Queues suggest_owners for the batch's new groups, once the transaction around (if any)
    commits; a broker error is logged, never failing the batch (robust)."""
    ids = new_group_ids(counted)
    if ids:
        def queue():  # not a partial: see triage.digest.events.alert_after_commit
            _queue(sorted(ids))

        transaction.on_commit(queue, robust=True)


def _queue(group_ids: list[int]) -> None:
    from triage.tasks import suggest_owners  # tasks imports this module

    suggest_owners.delay(group_ids)


def suggest_for_groups(group_ids: Sequence[int], now: dt.datetime) -> int:
    """For each group: suggest (without flags), record, and auto-assign where the project does.
    Returns how many groups it assigned."""
    assigned = 0
    for group in ErrorGroup.objects.filter(id__in=list(group_ids)).select_related("project", "first_release"):
        suggestion = owners.suggest(group)
        actions.record_suggestion(group, suggestion, now=now, replace_flag_owner=False)
        assigned += actions.auto_assign(group, suggestion, now)
    return assigned


@receiver(m2m_changed, sender=Project.members.through)
def forget_suggestions_of_former_members(sender, instance, action, pk_set, reverse, **kwargs) -> None:
    """Only members are suggested: one who leaves a project stops being its groups' suggestion."""
    if action not in ("post_remove", "post_clear"):
        return
    if reverse:  # user.projects.remove(project…): `instance` is the user
        GroupSuggestion.objects.filter(user=instance, **({"group__project_id__in": pk_set} if pk_set else {})).delete()
    else:
        rows = GroupSuggestion.objects.filter(group__project=instance)
        (rows.filter(user_id__in=pk_set) if action == "post_remove" else rows).delete()
