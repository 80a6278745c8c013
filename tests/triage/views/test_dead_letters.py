import pytest
from django.test import Client

from triage import stream

pytestmark = pytest.mark.django_db


def test_staff_see_dead_letters_with_reason_escaped(client, admin_user, redis_client):
    redis_client.xadd(stream.dead_letter_stream(stream.EVENTS), {
        "project": "1", "event_id": "e" * 32, "reason": "undeliverable: <script>alert(1)</script>", "payload": b"{}",
    })
    client.force_login(admin_user)
    response = client.get("/dead-letters/")
    assert response.status_code == 200
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
    assert b"<script>alert(1)" not in response.content


def test_dead_letters_are_for_staff_only(client, alice):
    client.force_login(alice)
    assert client.get("/dead-letters/").status_code == 302


def add_dead_letter(redis_client, project_id: int, reason: str) -> str:
    return redis_client.xadd(stream.dead_letter_stream(stream.EVENTS), {
        "v": "1", "project": str(project_id), "event_id": "e" * 32, "received": "1.0", "payload": b"{}",
        "reason": reason, "original_id": "1-0", "dead_at": "2.0",
    }).decode()


def csrf_post(client, url: str, data: dict):
    """A POST that carries the CSRF token the page's form would, through a client that checks it."""
    client.get("/dead-letters/")
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_staff_replay_one_dead_letter_with_a_csrf_checked_post(admin_user, redis_client):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    dead_id = add_dead_letter(redis_client, 1, "boom")
    add_dead_letter(redis_client, 2, "other")
    assert client.post("/dead-letters/replay/", {"stream": "events", "id": dead_id}).status_code == 403  # no token
    response = csrf_post(client, "/dead-letters/replay/", {"stream": "events", "id": dead_id})
    assert (response.status_code, response.url) == (302, "/dead-letters/")
    assert [f[b"project"] for _, f in redis_client.xrange(stream.EVENTS)] == [b"1"]
    assert redis_client.xlen(stream.dead_letter_stream(stream.EVENTS)) == 1
    assert b"Replayed 1 dead letter." in client.get("/dead-letters/").content


def test_staff_purge_the_dead_letters_matching_a_filter(client, admin_user, redis_client):
    client.force_login(admin_user)
    add_dead_letter(redis_client, 1, "failed 5 deliveries: DataError")
    add_dead_letter(redis_client, 1, "undeliverable: not JSON")
    listed = client.get("/dead-letters/?reason=dataerror")
    assert b"DataError" in listed.content and b"not JSON" not in listed.content
    response = client.post("/dead-letters/purge/", {"stream": "", "project": "", "reason": "dataerror"})
    assert response.url == "/dead-letters/?reason=dataerror"
    [(_, left)] = redis_client.xrange(stream.dead_letter_stream(stream.EVENTS))
    assert left[b"reason"] == b"undeliverable: not JSON"


def test_changes_are_for_staff_only_and_posts_only(client, alice, admin_user, redis_client):
    add_dead_letter(redis_client, 1, "boom")
    client.force_login(alice)
    assert client.post("/dead-letters/purge/", {}).status_code == 302  # to the admin login
    assert redis_client.xlen(stream.dead_letter_stream(stream.EVENTS)) == 1
    client.force_login(admin_user)
    assert client.get("/dead-letters/purge/").status_code == 405
    assert client.post("/dead-letters/replay/", {"id": "not-an-id"}).status_code == 400
