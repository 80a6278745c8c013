"""Read-side queries shared by the JSON API and the dashboard."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupEnvironment,
    GroupFlag,
    GroupRelease,
    GroupStatus,
    GroupTagValue,
    Release,
)
from triage.search import GroupSearch, TagTerm, parse_search


@dataclass(frozen=True)
class GroupFilters:
    release: str = ""
    environment: str = ""
    flag_key: str = ""
    flag_value: str = ""
    assignee: str = ""  # a username, "none" for unassigned
    status: str = ""
    project_id: int | None = None
    search: str = ""  # in titles, culprits and event messages
    seen_since: dt.datetime | None = None  # last seen at or after
    terms: GroupSearch = GroupSearch()  # the rest of the `query` parameter (triage.search)

    @classmethod
    def from_params(cls, params) -> GroupFilters:
        """Raises ValueError with a message for the client on malformed filters."""
        flag = params.get("flag", "")
        key, value = "", ""
        if flag:
            key, sep, value = flag.partition(":")
            if not sep or not key:
                raise ValueError("flag must look like key:value")
        status = params.get("status", "")
        if status and status not in GroupStatus.values:
            raise ValueError(f"status must be one of {', '.join(GroupStatus.values)}")
        project = params.get("project", "")
        if project and not project.isdigit():
            raise ValueError("project must be a project id")
        terms = parse_search(params.get("query", ""))  # SearchError is a ValueError
        return cls(
            project_id=int(project) if project else None,
            search=terms.text[:200],
            terms=terms,
            release=params.get("release", ""),
            environment=params.get("environment", ""),
            flag_key=key,
            flag_value=value,
            assignee=params.get("assignee", ""),
            status=status,
        )


def filter_groups(groups: QuerySet, f: GroupFilters) -> QuerySet:
    if f.project_id is not None:
        groups = groups.filter(project_id=f.project_id)
    if f.seen_since is not None:
        groups = groups.filter(last_seen__gte=f.seen_since)
    if f.search:
        groups = groups.filter(_search(f.search, f.seen_since))
    if f.release:
        groups = groups.filter(release_counts__release__version=f.release)
    if f.environment:
        groups = groups.filter(environment_counts__environment=f.environment)
    if f.flag_key:
        groups = groups.filter(flag_counts__key=f.flag_key, flag_counts__value=f.flag_value)
    if f.assignee == "none":
        groups = groups.filter(assignee__isnull=True)
    elif f.assignee:
        groups = groups.filter(assignee__username=f.assignee)
    if f.status:
        groups = groups.filter(status=f.status)
    return filter_by_terms(groups, f.terms)


def filter_by_terms(groups: QuerySet, terms: GroupSearch) -> QuerySet:
    """The structured terms of a search (its free text is GroupFilters.search). Each is a column
    test or an EXISTS over a breakdown table, so no term duplicates a group row."""
    for status in terms.statuses:
        groups = groups.filter(status=status)
    if terms.is_assigned is not None:
        groups = groups.filter(assignee__isnull=not terms.is_assigned)
    for name in terms.assigned:
        groups = groups.filter(assignee__isnull=True) if name == "none" else groups.filter(assignee__username=name)
    for version in terms.releases:
        groups = groups.filter(Exists(GroupRelease.objects.filter(group=OuterRef("pk"), release_id=_release_id(version))))
    for environment in terms.environments:
        groups = groups.filter(Exists(GroupEnvironment.objects.filter(group=OuterRef("pk"), environment=environment)))
    for key, negated in terms.has:
        has = Exists(GroupTagValue.objects.filter(group=OuterRef("pk"), key=key))
        groups = groups.filter(~has if negated else has)
    for term in terms.tags:
        found = Exists(GroupTagValue.objects.filter(group=OuterRef("pk"), key=term.key, **_value_lookup(term)))
        groups = groups.filter(~found if term.negated else found)
    return groups


def _release_id(version: str):
    """The release of that version in the group's own project; "latest": its newest release (as
    "resolve in next release" reads it, triage.actions.latest_release)."""
    releases = Release.objects.filter(project_id=OuterRef(OuterRef("project_id")))
    if version == "latest":
        releases = releases.order_by("-first_seen", "-id")
    else:
        releases = releases.filter(version=version)
    return Subquery(releases.values("id")[:1])


def _value_lookup(term: TagTerm) -> dict:
    if not term.is_pattern:
        return {"value": term.value}
    pattern = "^" + ".*".join(re.escape(part) for part in term.value.split("*")) + "$"
    return {"value__regex": pattern}


SEARCH_EVENTS = 20_000  # newest events whose messages a search reads
SEARCH_GROUPS = 1_000


def _search(text: str, since: dt.datetime | None) -> Q:
    """Title and culprit of the group, or the message of one of the newest SEARCH_EVENTS events.

    Event titles carry each event's own message ("bad price 13 for order ord-2") while the group
    keeps its first event's. A substring search over every event is a full scan (about a second
    at 1M events on PostgreSQL), so it reads only the newest events, by primary key, and runs once
    here rather than inside both the count and the page query.
    """
    newest = ErrorEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    events = ErrorEvent.objects.filter(id__gt=newest - SEARCH_EVENTS, title__icontains=text)
    if since is not None:
        events = events.filter(received_at__gte=since)
    group_ids = list(events.values_list("group_id", flat=True).distinct()[:SEARCH_GROUPS])
    return Q(title__icontains=text) | Q(culprit__icontains=text) | Q(id__in=group_ids)


def with_breakdowns(groups: QuerySet) -> QuerySet:
    """Prefetches releases and flags so a page of groups costs a constant number of queries."""
    return groups.select_related("assignee", "first_release", "last_release").prefetch_related(
        Prefetch("release_counts", queryset=GroupRelease.objects.select_related("release").order_by("-count")),
        Prefetch("flag_counts", queryset=GroupFlag.objects.order_by("-count")),
    )


def groups_for_project(project_id: int, f: GroupFilters) -> QuerySet:
    return with_breakdowns(filter_groups(ErrorGroup.objects.filter(project_id=project_id), f)).order_by("-last_seen", "-id")
