"""triage.logs.query: filters, text search, cursor pages stable under inserts, traces and groups."""

import datetime as dt

import pytest

from tests.factories import make_project
from tests.triage.helpers import crash, push
from tests.triage.logs.helpers import make_line, store_lines
from triage.logs import query
from triage.logs.query import Cursor, LogFilters
from triage.models import ErrorEvent

pytestmark = pytest.mark.django_db
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TRACE = "a" * 32


def filters(**params):
    return LogFilters.from_params(params, NOW)


def test_filters_name_their_fault():
    for params, fault in [({"trace_id": "nope"}, "trace_id"), ({"level": "loud"}, "level"),
                          ({"since": "last tuesday"}, "since"), ({"group": "x"}, "group"), ({"logger": "a\x00"}, "NUL")]:
        with pytest.raises(ValueError, match=fault):
            filters(**params)
    assert filters(level="warning,ERROR").levels == ("warn", "error")
    assert filters(since="15m").since == NOW - dt.timedelta(minutes=15)
    assert filters(trace_id=TRACE.upper()).trace_id == TRACE


def test_each_filter_keeps_only_its_lines(project):
    at = NOW - dt.timedelta(minutes=5)
    store_lines([
        make_line(project, message="payment declined for order 17", level="error", logger="shop.pay", release="shop@2",
                  environment="production", service="web-1", trace_id=TRACE, timestamp=at),
        make_line(project, message="cart saved", level="info", logger="shop.cart", release="shop@1",
                  environment="staging", service="web-2", timestamp=at - dt.timedelta(hours=2)),
    ])
    other = make_project("other-shop")
    store_lines([make_line(other, message="payment declined elsewhere", level="error")])

    def messages(**params):
        lines, _ = query.search_lines(project.id, filters(**params))
        return [line.message for line in lines]

    declined, saved = ["payment declined for order 17"], ["cart saved"]
    assert messages() == declined + saved
    assert messages(level="error") == declined and messages(level="info") == saved
    assert messages(logger="shop.cart") == saved and messages(release="shop@2") == declined
    assert messages(environment="staging") == saved and messages(service="web-1") == declined
    assert messages(trace_id=TRACE) == declined
    assert messages(since="1h") == declined and messages(until="1h") == saved
    assert messages(q="declined") == declined and messages(q="DECLINED order") == declined
    assert messages(q="refunded") == []


def test_pages_are_newest_first_and_lines_stored_meanwhile_shift_nothing(project):
    lines = store_lines([make_line(project, message=f"line {i}", timestamp=NOW - dt.timedelta(seconds=100 - i))
                         for i in range(25)])
    store_lines([make_line(project, message=f"twin {i}", timestamp=lines[10].timestamp) for i in range(3)])
    seen, cursor = [], None
    for round_ in range(10):
        page, cursor = query.search_lines(project.id, LogFilters(), cursor, limit=7)
        seen += [line.message for line in page]
        store_lines([make_line(project, message=f"new {round_}", timestamp=NOW)])  # arrives while paging
        if cursor is None:
            break
    expected = [f"line {i}" for i in range(24, 10, -1)] + ["twin 2", "twin 1", "twin 0", "line 10"]
    expected += [f"line {i}" for i in range(9, -1, -1)]
    assert seen == expected


def test_a_cursor_round_trips_and_a_made_up_one_is_refused():
    cursor = Cursor(NOW.replace(microsecond=123456), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ["", "!!!", "bm90IGEgY3Vyc29y"]:
        with pytest.raises(ValueError):
            Cursor.decode(bad)


def test_logs_of_a_trace_are_oldest_first_and_only_that_traces(project):
    store_lines([make_line(project, message="second", trace_id=TRACE, timestamp=NOW),
                 make_line(project, message="first", trace_id=TRACE, timestamp=NOW - dt.timedelta(seconds=1)),
                 make_line(project, message="another trace", trace_id="b" * 32)])
    assert [line.message for line in query.logs_for_trace(project.id, TRACE)] == ["first", "second"]
    assert query.logs_for_trace(project.id, "not a trace") == []


def test_lines_link_to_the_groups_of_their_trace_and_a_group_finds_its_traces_lines(project, redis_client):
    dashed = f"{TRACE[:8]}-{TRACE[8:12]}-{TRACE[12:16]}-{TRACE[16:20]}-{TRACE[20:]}"
    push(project, redis_client, [crash("a", "shop.pay", "PaymentError", contexts={"trace": {"trace_id": dashed}})])
    group_id = ErrorEvent.objects.get().group_id
    store_lines([make_line(project, message="in the trace", trace_id=TRACE), make_line(project, message="not")])
    assert query.group_ids_of_traces(project.id, [TRACE, "c" * 32]) == {TRACE: [group_id]}
    lines, _ = query.search_lines(project.id, filters(group=str(group_id)))
    assert [line.message for line in lines] == ["in the trace"]
    assert query.trace_log_counts(project.id, [TRACE, "c" * 32]) == {TRACE: 1}


def test_lines_around_a_time_come_from_the_same_service_in_order(project):
    store_lines([make_line(project, message=f"web {i}", service="web-1", timestamp=NOW + dt.timedelta(seconds=i))
                 for i in range(-30, 30)] + [make_line(project, message="worker", service="worker-1", timestamp=NOW)])
    around = query.lines_around(project.id, NOW, "web-1", "production", count=3)
    assert [line.message for line in around] == ["web -2", "web -1", "web 0", "web 1", "web 2", "web 3"]
