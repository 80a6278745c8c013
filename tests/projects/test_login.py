"""projects.login: failed logins are throttled per username and per client address."""

import pytest

from projects.login import BY_ADDRESS, BY_USERNAME

pytestmark = pytest.mark.django_db


def attempt(client, username, password="wrong", address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_ten_wrong_passwords_the_form_answers_429_even_to_the_right_one(client, alice):
    for _ in range(BY_USERNAME.count):
        assert attempt(client, "alice").status_code == 200
    response = attempt(client, "alice", "pw-alice")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= BY_USERNAME.seconds
    assert "Too many failed logins. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_username_is_throttled_from_every_address(client, alice):
    for i in range(BY_USERNAME.count):
        attempt(client, "alice", address=f"10.0.1.{i}")
    assert attempt(client, "Alice", "pw-alice", address="10.9.9.9").status_code == 429


def test_a_successful_login_clears_the_usernames_failures(client, alice):
    for _ in range(BY_USERNAME.count - 1):
        attempt(client, "alice")
    assert attempt(client, "alice", "pw-alice").status_code == 302
    client.logout()
    for _ in range(BY_USERNAME.count - 1):
        assert attempt(client, "alice").status_code == 200
    assert attempt(client, "alice", "pw-alice").status_code == 302


def test_one_address_guessing_many_usernames_is_throttled(client, alice):
    for i in range(BY_ADDRESS.count):
        assert attempt(client, f"user-{i}").status_code == 200
    assert attempt(client, "alice", "pw-alice").status_code == 429
    assert attempt(client, "alice", "pw-alice", address="10.0.0.2").status_code == 302  # others are not


def test_the_admin_login_counts_and_refuses_too(client, alice):
    alice.is_staff = True
    alice.save()
    for _ in range(BY_USERNAME.count):
        client.post("/admin/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    client.post("/admin/login/", {"username": "alice", "password": "pw-alice"}, REMOTE_ADDR="10.0.0.1")
    assert "_auth_user_id" not in client.session
    assert attempt(client, "alice", "pw-alice").status_code == 429
