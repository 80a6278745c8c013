"""The developers page (/developers/): who is responsible for how many open groups (assigned, else
suggested: triage.attribution.owners) and how many of them spike, the groups assigned to the user
looking and those suggested for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from triage.attribution.spikes import Spike
from triage.models import ErrorGroup, GroupStatus, GroupSubstatus
from triage.pages.group_list import GroupPage, GroupRow, ListQuery, group_rows, page_of_groups


@dataclass
class DevelopersPage:
    loads: list[DeveloperLoad]
    rows: list[GroupRow]  # the groups assigned to the user looking
    page: GroupPage
    query: ListQuery
    suggested: list[ErrorGroup]  # open, unassigned, suggested for the user looking (with .suggestion)


def developers_page(
    groups: QuerySet, projects: QuerySet, username: str, redis, now: dt.datetime, spikes_by_group: dict[int, Spike]
) -> DevelopersPage:
    mine = ListQuery.from_params({"assignee": "me", "window": "all"}, username)
    page = page_of_groups(groups, mine, now, spikes_by_group)
    rows = group_rows(redis, page.groups, mine.window, now, spikes_by_group)
    return DevelopersPage(developer_loads(projects, spikes_by_group), rows, page, mine, suggested_for(projects, username))


SUGGESTED_SHOWN = 20


def suggested_for(projects: QuerySet, username: str) -> list[ErrorGroup]:
    """Open groups nobody is assigned that are suggested for `username`, last seen first: one query."""
    found = ErrorGroup.objects.filter(
        project__in=projects, status=GroupStatus.UNRESOLVED, assignee__isnull=True, suggestion__user__username=username
    )
    return list(found.select_related("project", "suggestion").order_by("-last_seen", "-id")[:SUGGESTED_SHOWN])


@dataclass
class DeveloperLoad:
    username: str  # "" for the row of groups nobody is responsible for
    unresolved: int  # assigned or, unassigned, suggested
    regressed: int
    spiking: int
    suggested: int = 0  # of `unresolved`, those only suggested


def developer_loads(projects: QuerySet, spikes_by_group: dict[int, Spike]) -> list[DeveloperLoad]:
    """One row per member of the given projects, and one for groups nobody is responsible for
    (neither assigned nor suggested): three queries, the kept suggestions read in the same join."""
    open_groups = ErrorGroup.objects.filter(project__in=projects, status=GroupStatus.UNRESOLVED).annotate(
        responsible=Coalesce("assignee", "suggestion__user")
    )
    counts = {
        row["responsible"]: row
        for row in open_groups.values("responsible").annotate(
            n=Count("id"), regressed=Count("id", filter=Q(substatus=GroupSubstatus.REGRESSED)),
            suggested=Count("id", filter=Q(assignee__isnull=True)),
        )
    }
    spiking_ids = [g for g, s in spikes_by_group.items() if s.spiking]
    spiking = dict(
        open_groups.filter(id__in=spiking_ids).values("responsible").annotate(n=Count("id")).values_list("responsible", "n")
    ) if spiking_ids else {}
    members = get_user_model().objects.filter(projects__in=projects).distinct().order_by("username")
    loads = [_load(m.get_username(), counts.get(m.pk), spiking.get(m.pk, 0)) for m in members]
    loads.sort(key=lambda d: (-d.spiking, -d.unresolved, d.username))
    return [*loads, _load("", counts.get(None), spiking.get(None, 0))]


def _load(username: str, row: dict | None, spiking: int) -> DeveloperLoad:
    if row is None:
        return DeveloperLoad(username, 0, 0, spiking)
    return DeveloperLoad(username, row["n"], row["regressed"], spiking, row["suggested"] if username else 0)
