"""triage.stream.outage: which errors mean the database or Redis is away, and the outage record."""

import json
import logging

import psycopg
import pytest
import redis
from django import db as django_db

from triage.stream import outage


def raised_from(cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        return wrapped


@pytest.mark.parametrize("exc", [
    django_db.OperationalError("connection to server failed: Connection refused"),
    django_db.InterfaceError("connection already closed"),
    psycopg.OperationalError("server closed the connection unexpectedly"),
    psycopg.errors.LockNotAvailable("lock timeout"),
    psycopg.errors.QueryCanceled("statement timeout"),
    redis.ConnectionError("Connection refused"),
    redis.TimeoutError("Timeout reading from socket"),
    redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"),
    ConnectionResetError(),
    raised_from(django_db.OperationalError("the connection is closed")),
])
def test_unavailable_services_are_infrastructure_errors(exc):
    assert outage.is_infrastructure_error(exc)


@pytest.mark.parametrize("exc", [
    django_db.DataError("value too long"),
    django_db.IntegrityError("duplicate key"),
    django_db.ProgrammingError("syntax error"),
    UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
    ValueError("bad timestamp"),
    KeyError("project"),
    redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
])
def test_errors_an_event_can_cause_are_not_infrastructure_errors(exc):
    assert not outage.is_infrastructure_error(exc)


@pytest.mark.django_db
def test_an_outage_is_logged_once_recorded_while_it_lasts_and_cleared_when_it_ends(redis_client, caplog):
    record = outage.Outage(redis_client, "host:1:0", "events")
    with caplog.at_level(logging.INFO, logger="triage.stream.outage"):
        for attempt in range(3):
            record.failed("write", db_error(), held=7, now=100.0 + attempt)
        record.failed("read", db_error(), held=7, now=104.0)
        saved = json.loads(redis_client.hget(outage.OUTAGES, "host:1:0"))
        record.recovered("write", now=105.0)
        assert record.active  # the reader still fails
        record.recovered("read", now=106.0)
    assert (saved["since"], saved["seen"], saved["kind"]) == (100.0, 104.0, "database")
    assert not record.active
    assert redis_client.hget(outage.OUTAGES, "host:1:0") is None
    assert [r.levelname for r in caplog.records] == ["ERROR", "WARNING"]
    assert "holds 7 messages" in caplog.records[0].getMessage()
    assert "Traceback" not in caplog.text
    assert "outage over after 6 s" in caplog.records[1].getMessage()


def db_error():
    return django_db.OperationalError("connection refused")
