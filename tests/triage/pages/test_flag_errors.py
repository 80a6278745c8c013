"""The flag errors page (/flag-errors/): per flag its error groups, errors per 1k evaluations with
it on and off, owner, recent changes and the disable button."""

import json

import pytest

from flags.demo import demo_sdk_key
from tests.factories import grant, make_event
from tests.triage.helpers import push

pytestmark = pytest.mark.django_db


def flags_event(new_checkout: bool, function: str) -> dict:
    event = make_event(contexts={"flags": {"values": [{"flag": "new-checkout", "result": new_checkout}]}})
    event["exception"]["values"][0]["stacktrace"]["frames"][-1]["function"] = function
    return event


def evaluate(client, project, user: str):
    response = client.post("/ofrep/v1/evaluate/flags/new-checkout", json.dumps({"context": {"targetingKey": user}}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {demo_sdk_key(project)}")
    assert response.status_code == 200


@pytest.fixture
def flag_errors(client, triager, project, redis_client, demo_flags):
    for i in range(10):
        evaluate(client, project, f"u-{i}")  # ten exposures of new-checkout = on
    push(project, redis_client, [flags_event(True, "apply_discount") for _ in range(5)] + [flags_event(False, "legacy") for _ in range(2)])
    client.force_login(triager)
    response = client.get("/flag-errors/")
    return response, {i.key: i for i in response.context["rows"]}


def test_each_flag_lists_its_groups_owner_and_changes(flag_errors, alice):
    response, by_key = flag_errors
    checkout = by_key["new-checkout"]
    assert checkout.flag.owner == alice and checkout.error_events == 7
    assert [(g.group.culprit, g.value, g.count) for g in checkout.groups] == [("shop.pricing in apply_discount", "true", 5), ("shop.pricing in legacy", "false", 2)]
    assert [c.action for c in checkout.changes] == ["created"]
    assert {"dark-mode", "search-v2"} <= set(by_key)


def test_error_rate_uses_real_exposures_as_the_denominator(flag_errors):
    _, by_key = flag_errors
    rates = {r.value: r for r in by_key["new-checkout"].rates}
    assert (rates["true"].errors, rates["true"].exposures, rates["true"].per_thousand) == (5.0, 10, 500.0)
    assert (rates["false"].errors, rates["false"].exposures, rates["false"].per_thousand) == (2.0, None, None)


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
