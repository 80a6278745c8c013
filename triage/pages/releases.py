"""The releases pages (/releases/ and /releases/compare/): per release its errors, new and
regressed groups; two releases compared.

"New in a release" = the group's first event came with it (ErrorGroup.first_release). "Regressed
in a release" = the group is currently marked regressed and its latest event came with that release:
the worker records the regression on the group, not as history, so an older regression drops out
of this count once the group is resolved again.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

from django.db.models import Count, Sum

from triage.models import ErrorGroup, GroupRelease, GroupSubstatus, Release
from triage.release_health import NO_SESSIONS, ReleaseHealth, release_health


@dataclass
class ReleaseSummary:
    release: Release
    events: int
    groups: int
    new_groups: int
    regressed_groups: int
    previous: str = ""  # the release before it, to compare with
    health: ReleaseHealth = NO_SESSIONS  # its sessions, when sentry-sdk sends them


def release_summaries(project_id: int, limit: int = 50) -> list[ReleaseSummary]:
    """The project's newest releases with their counts and health: five queries."""
    releases = list(
        Release.objects.filter(project_id=project_id)
        .annotate(event_total=Sum("group_counts__count"), group_total=Count("group_counts"))
        .order_by("-first_seen", "-id")[:limit]
    )
    ids = [r.id for r in releases]
    new = _count_by(ErrorGroup.objects.filter(first_release_id__in=ids), "first_release_id")
    regressed = _count_by(
        ErrorGroup.objects.filter(last_release_id__in=ids, substatus=GroupSubstatus.REGRESSED), "last_release_id"
    )
    health = release_health(ids)
    return [
        ReleaseSummary(r, r.event_total or 0, r.group_total, new.get(r.id, 0), regressed.get(r.id, 0), older.version if older else "",
                       health.get(r.id, NO_SESSIONS))
        for r, older in zip_longest(releases, releases[1:])
    ]


def _count_by(groups, field: str) -> dict[int, int]:
    return dict(groups.values(field).annotate(n=Count("id")).values_list(field, "n"))


@dataclass
class ComparedGroup:
    group: ErrorGroup
    base: int  # events in the base release
    target: int  # events in the target release

    @property
    def change(self) -> str:
        if not self.base:
            return "new"
        if not self.target:
            return "gone"
        return "more" if self.target > self.base else "fewer" if self.target < self.base else "same"


@dataclass
class Comparison:
    base: Release
    target: Release
    new: list[ComparedGroup]  # seen in target, not in base
    gone: list[ComparedGroup]  # seen in base, not in target
    both: list[ComparedGroup]


def compare_releases(base: Release, target: Release, limit: int = 200) -> Comparison:
    """Groups of two releases of one project side by side (one query)."""
    rows = (
        GroupRelease.objects.filter(release__in=[base, target])
        .select_related("group", "group__assignee")
        .order_by("-count")[: limit * 2]
    )
    by_group: dict[int, ComparedGroup] = {}
    for row in rows:
        item = by_group.setdefault(row.group_id, ComparedGroup(row.group, 0, 0))
        if row.release_id == base.id:
            item.base = row.count
        else:
            item.target = row.count
    items = sorted(by_group.values(), key=lambda c: -(c.target + c.base))
    return Comparison(
        base, target,
        new=[c for c in items if c.change == "new"][:limit],
        gone=[c for c in items if c.change == "gone"][:limit],
        both=[c for c in items if c.change not in ("new", "gone")][:limit],
    )


@dataclass
class ReleaseListPage:
    projects: list
    project: object | None  # projects.models.Project; None when the user has none
    summaries: list[ReleaseSummary]


def release_list_page(projects: list, project) -> ReleaseListPage:
    return ReleaseListPage(projects, project, release_summaries(project.id) if project else [])


@dataclass
class ReleaseComparePage:
    project: object
    comparison: Comparison
    versions: list[str]


def release_compare_page(project, base: Release, target: Release) -> ReleaseComparePage:
    versions = list(Release.objects.filter(project=project).values_list("version", flat=True)[:100])
    return ReleaseComparePage(project, compare_releases(base, target), versions)
