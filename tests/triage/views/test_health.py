"""GET /health/ (no login; 200 ok, 503 degraded) and the health line in the dashboard footer."""

import json
import time

import pytest

from triage import context_processors
from triage.stream.outage import OUTAGES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_footer_cache(monkeypatch):
    monkeypatch.setattr(context_processors, "_cached", None)


def start_outage(redis_client):
    now = time.time()
    redis_client.hset(OUTAGES, "w:1:0", json.dumps({"since": now - 30, "seen": now, "stream": "e", "kind": "database"}))


def test_health_needs_no_login_and_answers_200_when_ok(client):
    response = client.get("/health/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_503_during_an_outage_with_counts_and_ages_only(client, redis_client):
    start_outage(redis_client)
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["problems"], body["outage"]["active"]) == ("degraded", ["database unreachable"], True)
    assert "w:1:0" not in response.content.decode()  # no consumer (host) names


def test_the_footer_shows_the_pipeline_to_logged_in_users_only(client, alice, redis_client):
    assert b"Pipeline" not in client.get("/login/").content
    client.force_login(alice)
    assert b"Pipeline ok \xc2\xb7 backlog 0 \xc2\xb7 dead letters 0" in client.get("/groups/").content
    start_outage(redis_client)
    assert b"degraded" not in client.get("/groups/").content  # cached for a few seconds…
    context_processors._cached = None
    assert b"Pipeline degraded: database unreachable" in client.get("/groups/").content  # …then read again
