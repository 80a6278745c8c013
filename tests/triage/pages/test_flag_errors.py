"""The flag errors page (/flag-errors/): per flag and value, the users served it and how many of
them an error hit (never more than served), its groups each once, owner, recent changes, and the
disable button."""

import json

import pytest

from flags import changes
from flags.demo import demo_sdk_key
from tests.factories import grant, make_event
from tests.triage.helpers import push

pytestmark = pytest.mark.django_db


def flags_event(new_checkout: bool, function: str, user: str = "u-0") -> dict:
    event = make_event(contexts={"flags": {"values": [{"flag": "new-checkout", "result": new_checkout}]}}, user={"id": user})
    event["exception"]["values"][0]["stacktrace"]["frames"][-1]["function"] = function
    return event


def evaluate(client, project, user: str):
    response = client.post("/ofrep/v1/evaluate/flags/new-checkout", json.dumps({"context": {"targetingKey": user}}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {demo_sdk_key(project)}")
    assert response.status_code == 200


@pytest.fixture
def flag_errors(client, triager, project, redis_client, demo_flags):
    checkout = demo_flags.get(key="new-checkout")
    changes.update_environment(checkout, "production", {"rollout_percentage": 100}, actor=triager, source="api")
    for i in range(10):
        evaluate(client, project, f"u-{i}")  # ten exposures of new-checkout = on
    # Five errors of three of the ten users served "on", two of a user never served anything.
    errors = [flags_event(True, "apply_discount", f"u-{i % 3}") for i in range(5)]
    errors += [flags_event(False, "legacy", "stranger") for _ in range(2)]
    errors += [flags_event(True, "legacy", "u-0")]  # the same group with the other value: listed once
    push(project, redis_client, errors)
    client.force_login(triager)
    response = client.get("/flag-errors/")
    return response, {i.key: i for i in response.context["rows"]}


def test_each_flag_lists_its_groups_owner_and_changes(flag_errors, alice):
    response, by_key = flag_errors
    checkout = by_key["new-checkout"]
    assert checkout.flag.owner == alice and checkout.error_events == 8
    assert [(g.group.culprit, g.events, g.values) for g in checkout.groups] == [
        ("shop.pricing in apply_discount", 5, ["true"]), ("shop.pricing in legacy", 3, ["false", "true"])]
    assert [c.action for c in checkout.changes] == ["state_changed", "created"]
    assert {"dark-mode", "search-v2"} <= set(by_key)


def test_rates_are_users_hit_among_users_served_and_never_pass_100_percent(flag_errors):
    response, by_key = flag_errors
    cohorts = {c.value: c for c in by_key["new-checkout"].cohorts}
    assert (cohorts["true"].exposed, cohorts["true"].affected, cohorts["true"].events) == (10, 3, 6)
    assert cohorts["true"].rate == 0.3
    # "false" was served to nobody through OFREP (the stranger got it elsewhere): its errors are
    # counted, and no rate is made up.
    assert (cohorts["false"].exposed, cohorts["false"].affected, cohorts["false"].events) == (0, 0, 2)
    assert cohorts["false"].rate is None
    assert "30 %" in response.content.decode() and ".0<" not in response.content.decode()


def test_the_disable_button_is_there_for_a_user_with_the_permission(flag_errors):
    response, _ = flag_errors
    assert "Disable in production" in response.content.decode()


def test_no_disable_button_without_the_permission(client, bob, project, demo_flags):
    client.force_login(grant(bob, "triage.change_errorgroup"))
    html = client.get("/flag-errors/").content.decode()
    assert "new-checkout" in html and "Disable in production" not in html


def test_another_projects_flags_are_not_found(client, alice, project, other_project):
    client.force_login(alice)
    assert client.get("/flag-errors/", {"project": other_project.id}).status_code == 404


def test_an_approval_request_shows_the_same_cohorts_and_groups_as_its_evidence(flag_errors, project):
    """triage.flagstate hands this page's row to the flags app's approval requests (flags imports
    nothing of triage)."""
    import datetime as dt

    from flags.approvals import error_evidence

    [evidence] = error_evidence(project, "new-checkout", "production", dt.datetime.now(dt.UTC))
    assert evidence.window == "last 60 minutes in production"
    assert {(c.value, c.exposed, c.affected, c.events) for c in evidence.cohorts} == {("true", 10, 3, 6), ("false", 0, 0, 2)}
    assert [g.events for g in evidence.groups] == [5, 3]
    assert all("/groups/" in g.url and not g.suspect for g in evidence.groups)
