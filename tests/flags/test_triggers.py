"""Trigger URLs: secret, single-action, audited, idempotent, revocable."""

import pytest
from django.test import Client

from flags import triggers
from flags.models import FlagChange, FlagEnvironment, Trigger
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
