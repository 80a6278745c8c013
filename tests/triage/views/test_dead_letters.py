import pytest

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
