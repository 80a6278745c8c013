"""The developers page (/developers/): who has how many open groups and how many of them spike,
and the groups assigned to the user looking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from triage.attribution.spikes import Spike
from triage.models import ErrorGroup, GroupStatus, GroupSubstatus
from triage.pages.group_list import GroupPage, GroupRow, ListQuery, group_rows, page_of_groups


@dataclass
class DevelopersPage:
    loads: list[DeveloperLoad]
    rows: list[GroupRow]  # the groups assigned to the user looking
    page: GroupPage
    query: ListQuery


def developers_page(
    groups: QuerySet, projects: QuerySet, username: str, redis, now: dt.datetime, spikes_by_group: dict[int, Spike]
) -> DevelopersPage:
    mine = ListQuery.from_params({"assignee": "me", "window": "all"}, username)
    page = page_of_groups(groups, mine, now, spikes_by_group)
    rows = group_rows(redis, page.groups, mine.window, now, spikes_by_group)
    return DevelopersPage(developer_loads(projects, spikes_by_group), rows, page, mine)


@dataclass
class DeveloperLoad:
    username: str  # "" for the unassigned row
    unresolved: int
    regressed: int
    spiking: int


def developer_loads(projects: QuerySet, spikes_by_group: dict[int, Spike]) -> list[DeveloperLoad]:
    """One row per member of the given projects, and one for unassigned groups: three queries."""
    open_groups = ErrorGroup.objects.filter(project__in=projects, status=GroupStatus.UNRESOLVED)
    counts = {
        row["assignee"]: row
        for row in open_groups.values("assignee").annotate(
            n=Count("id"), regressed=Count("id", filter=Q(substatus=GroupSubstatus.REGRESSED))
        )
    }
    spiking_ids = [g for g, s in spikes_by_group.items() if s.spiking]
    spiking = dict(
        open_groups.filter(id__in=spiking_ids).values("assignee").annotate(n=Count("id")).values_list("assignee", "n")
    ) if spiking_ids else {}
    members = get_user_model().objects.filter(projects__in=projects).distinct().order_by("username")
    loads = [_load(m.get_username(), counts.get(m.pk), spiking.get(m.pk, 0)) for m in members]
    loads.sort(key=lambda d: (-d.spiking, -d.unresolved, d.username))
    return [*loads, _load("", counts.get(None), spiking.get(None, 0))]


def _load(username: str, row: dict | None, spiking: int) -> DeveloperLoad:
    return DeveloperLoad(username, row["n"] if row else 0, row["regressed"] if row else 0, spiking)
