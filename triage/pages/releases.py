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
    project: object  # None when the user has no project
    comparison: Comparison | None  # None when base or target is not a release of the project
    versions: list[str]
    base: str  # the versions asked for, kept in the form
    target: str


def compared_project(projects: list, preferred, base: str, target: str):
    """For a comparison without `project=`: the project with both versions as releases, else with
    one of them (so the page can say which is missing), the preferred one first among equals."""
    found = (Release.objects.filter(project__in=projects, version__in={base, target}).values("project_id")
             .annotate(n=Count("version", distinct=True)).values_list("project_id", "n"))
    having = dict(found)
    ranked = sorted(projects, key=lambda p: (-having.get(p.id, 0), p != preferred))
    return ranked[0] if ranked and having else preferred


def release_compare_page(project, base: str, target: str) -> ReleaseComparePage:
    if project is None:
        return ReleaseComparePage(None, None, [], base, target)
    releases = {r.version: r for r in Release.objects.filter(project=project, version__in={base, target})}
    versions = list(Release.objects.filter(project=project).values_list("version", flat=True)[:100])
    found = base in releases and target in releases
    comparison = compare_releases(releases[base], releases[target]) if found else None
    return ReleaseComparePage(project, comparison, versions, base, target)
