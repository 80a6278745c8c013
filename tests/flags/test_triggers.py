"""Trigger URLs: secret, single-action, audited, idempotent, revocable."""

import json

import pytest
from django.test import Client

from flags import triggers
from flags.models import FlagChange, FlagEnvironment, Trigger
from flags.views import hooks
from tests.flags.factories import make_flag


def fire(token, body='{"reason": "error rate 12 %"}'):
    return Client().post(f"/hooks/flags/{token}/", data=body, content_type="application/json")


def test_firing_a_trigger_disables_its_flag_in_its_environment(project, alice):
    flag = make_flag(project, environments={"production": {"enabled": True}, "staging": {"enabled": True}})
    trigger, token = triggers.create_trigger(flag, "production", label="grafana", actor=alice, source="dashboard")
    response = fire(token)
    assert response.status_code == 200
    assert response.json() == {"flag": "new-checkout", "environment": "production", "disabled": True, "detail": "disabled"}
    states = dict(FlagEnvironment.objects.filter(flag=flag).values_list("environment", "enabled"))
    assert states["production"] is False and states["staging"] is True
    trigger.refresh_from_db()
    assert trigger.last_fired_at is not None


def test_firing_twice_is_harmless(project, alice):
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    fire(token)
    assert fire(token).json()["disabled"] is False
    assert FlagChange.objects.filter(action="disabled").count() == 1


def test_trigger_audit_row_names_the_trigger_and_the_alerts_note(project, alice):
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", label="pagerduty", actor=alice, source="dashboard")
    fire(token, "checkout 5xx above 2 %")  # a plain text note is ignored unless sent as text/*
    change = FlagChange.objects.get(action="disabled")
    assert (change.source, change.actor, change.actor_label) == ("trigger", None, "trigger pagerduty")
    assert change.reason == "trigger 'pagerduty' fired"


def test_unknown_or_revoked_trigger_is_404_and_changes_nothing(project, alice):
    flag = make_flag(project)
    trigger, token = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    triggers.revoke_trigger(trigger, actor=alice, source="dashboard")
    assert fire(token).status_code == 404
    assert fire("sytrg_guess").status_code == 404
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_trigger_only_accepts_post(project, alice):
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    assert Client().get(f"/hooks/flags/{token}/").status_code == 405
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_only_the_hash_of_the_token_is_stored(project, alice):
    flag = make_flag(project)
    trigger, token = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    stored = Trigger.objects.filter(pk=trigger.pk).values().get()
    assert token not in str(stored)
    assert triggers.trigger_url(token, "https://sy.example.com").startswith("https://sy.example.com/hooks/flags/sytrg_")


def test_creating_and_revoking_triggers_is_audited(project, alice):
    flag = make_flag(project)
    trigger, _ = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    triggers.revoke_trigger(trigger, actor=alice, source="dashboard")
    triggers.revoke_trigger(trigger, actor=alice, source="dashboard")
    assert list(flag.changes.values_list("action", flat=True)) == ["trigger_revoked", "trigger_created", "created"]


def test_trigger_environment_is_validated(project, alice):
    flag = make_flag(project)
    with pytest.raises(ValueError, match="invalid environment"):
        triggers.create_trigger(flag, "prod/../x", actor=alice, source="dashboard")


def test_one_address_guessing_tokens_is_answered_429_after_its_count(project, alice):
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    for i in range(hooks.BY_ADDRESS.count):
        assert fire(f"sytrg_guess-{i}").status_code == 404
    response = fire(token)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= hooks.BY_ADDRESS.seconds
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled  # not fired
    other = Client(REMOTE_ADDR="10.0.0.9").post(f"/hooks/flags/{token}/", "{}", content_type="application/json")
    assert other.status_code == 200


def test_a_hammered_token_is_answered_429_after_its_count_from_any_address(project, alice):
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", actor=alice, source="dashboard")
    for i in range(hooks.BY_TOKEN.count):
        assert Client(REMOTE_ADDR=f"10.0.1.{i}").post(f"/hooks/flags/{token}/").status_code == 200
    assert Client(REMOTE_ADDR="10.0.2.1").post(f"/hooks/flags/{token}/").status_code == 429


def test_a_note_with_text_postgresql_cannot_store_is_cleaned_and_the_flag_still_killed(project, alice):
    """The kill must not fail on what an alerting tool wrote."""
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", label="grafana", actor=alice, source="dashboard")
    response = fire(token, json.dumps({"reason": "cpu\u0000 high \ud800"}))
    assert response.json()["disabled"] is True
    assert FlagChange.objects.get(action="disabled").reason == "trigger 'grafana' fired: cpu high \ufffd"


def test_a_note_nested_too_deep_to_parse_is_left_out(project, alice):
    flag = make_flag(project)
    _, token = triggers.create_trigger(flag, "production", label="grafana", actor=alice, source="dashboard")
    assert fire(token, "[" * 2000 + "]" * 2000).json()["disabled"] is True
