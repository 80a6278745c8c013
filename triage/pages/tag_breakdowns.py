"""The group page's tag breakdowns: per tag, its commonest values and their shares of the events.

Read from GroupTagValue, the counts the digest keeps in the transaction that stores the events
(triage.digest.tags), so a group of a million events costs two small queries: the totals per
key, and the top values per key (a window function ranks them in the database).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber

from triage.digest.tags import WELL_KNOWN
from triage.models import ErrorGroup, GroupTagValue
from triage.search import tag_term

TOP_VALUES = 5
MAX_KEYS = 40  # a page of tags; more keys than this is a client tagging ids


@dataclass(frozen=True)
class TagValue:
    value: str
    count: int
    share: float  # of the events that carried the tag
    search: str  # the group list's search for it (triage.search)


@dataclass(frozen=True)
class TagBreakdown:
    key: str
    total: int  # events that carried the tag
    distinct: int  # its distinct values
    values: list[TagValue]
    coverage: float  # share of the group's events that carried it

    @property
    def other(self) -> int:
        """Events with one of the values not listed."""
        return self.total - sum(v.count for v in self.values)

    @property
    def other_share(self) -> float:
        return self.other / self.total if self.total else 0.0


def tag_breakdowns(group: ErrorGroup, top: int = TOP_VALUES) -> list[TagBreakdown]:
    """The well-known tags first (browser, os, server_name, url, user …), then the others by name."""
    rows = GroupTagValue.objects.filter(group=group)
    totals = {
        key: (total, distinct)
        for key, total, distinct in rows.values("key").annotate(total=Sum("count"), distinct=Count("id")).values_list("key", "total", "distinct")
    }
    keys = sorted(totals, key=_order)[:MAX_KEYS]
    ranked = rows.filter(key__in=keys).annotate(
        rank=Window(RowNumber(), partition_by=[F("key")], order_by=[F("count").desc(), F("value").asc()])
    ).filter(rank__lte=top)
    values: dict[str, list[tuple[str, int]]] = {key: [] for key in keys}
    for key, value, count in ranked.order_by("key", "rank").values_list("key", "value", "count"):
        values[key].append((value, count))
    events = max(group.event_count, 1)
    return [
        TagBreakdown(
            key=key, total=totals[key][0], distinct=totals[key][1],
            values=[TagValue(v, n, n / totals[key][0], tag_term(key, v)) for v, n in values[key]],
            coverage=min(1.0, totals[key][0] / events),
        )
        for key in keys
    ]


def _order(key: str) -> tuple[int, str]:
    return (WELL_KNOWN.index(key), "") if key in WELL_KNOWN else (len(WELL_KNOWN), key)
