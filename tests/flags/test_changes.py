"""flags.changes: every change validated, audited in its transaction and published on commit."""

import json
from decimal import Decimal

import pytest

from flags import cache, changes
from flags.models import Flag, FlagChange, FlagEnvironment
from flags.validation import InvalidChange
from tests.flags.factories import make_flag


def test_create_flag_makes_a_state_in_every_environment_and_an_audit_row(project, alice):
    flag = changes.create_flag(project, key="new-checkout", owner=alice, actor=alice, source="dashboard",
                               environments={"production": {"enabled": True, "rollout_percentage": 10}})
    states = {s.environment: s for s in flag.environments.all()}
    assert {"production", "staging", "development"} <= set(states)
    assert (states["production"].enabled, states["production"].rollout_percentage) == (True, Decimal(10))
    assert states["staging"].enabled is False and states["staging"].default_variant == "on"
    change = flag.changes.get()
    assert (change.action, change.source, change.actor, change.before) == ("created", "dashboard", alice, None)
    assert change.after["environments"]["production"]["rollout_percentage"] == 10


def test_flag_needs_an_owner_who_is_a_project_member(project, charlie):
    with pytest.raises(InvalidChange, match="not a member"):
        changes.create_flag(project, key="x", owner=charlie, actor=charlie, source="api")
    with pytest.raises(InvalidChange, match="needs an owner"):
        changes.create_flag(project, key="x", owner=None, actor=charlie, source="api")


def test_flag_key_is_unique_per_project(project, alice):
    make_flag(project, "new-checkout")
    with pytest.raises(InvalidChange, match="already exists"):
        make_flag(project, "new-checkout")


def test_same_key_may_exist_in_two_projects(project, charlie):
    from tests.factories import make_project

    make_flag(project, "new-checkout")
    make_flag(make_project("billing", members=[charlie]), "new-checkout")
    assert Flag.objects.filter(key="new-checkout").count() == 2


def test_disable_flag_records_who_when_source_before_after_and_reason(project, bob):
    flag = make_flag(project)
    change = changes.disable_flag(flag, "production", actor=bob, reason="checkout errors doubled", source="api")
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled is False
    assert (change.actor, change.source, change.action, change.environment) == (bob, "api", "disabled", "production")
    assert (change.before["enabled"], change.after["enabled"]) == (True, False)
    assert change.reason == "checkout errors doubled"
    assert change.created_at is not None


def test_disable_flag_is_idempotent_and_writes_no_second_row(project, bob):
    flag = make_flag(project)
    assert changes.disable_flag(flag, "production", actor=bob, reason="one", source="api") is not None
    assert changes.disable_flag(flag, "production", actor=bob, reason="two", source="api") is None
    assert changes.disable_flag(flag, "nowhere", actor=bob, reason="three", source="api") is None
    assert flag.changes.filter(action="disabled").count() == 1


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_disabling_and_enabling_need_a_reason(project, bob, reason):
    flag = make_flag(project)
    with pytest.raises(ValueError, match="reason is required to disable"):
        changes.disable_flag(flag, "production", actor=bob, reason=reason, source="api")
    with pytest.raises(ValueError, match="reason is required to enable"):
        changes.enable_flag(flag, "staging", actor=bob, reason=reason, source="api")


def test_re_enabling_a_killed_flag_through_a_state_change_needs_a_reason(project, bob):
    flag = make_flag(project)
    changes.disable_flag(flag, "production", actor=bob, reason="errors", source="api")
    with pytest.raises(InvalidChange, match="reason is required to enable"):
        changes.update_environment(flag, "production", {"enabled": True}, actor=bob, source="api")
    change = changes.update_environment(flag, "production", {"enabled": True}, actor=bob, source="api", reason="fixed in 1.4.1")
    assert change.action == "enabled"


def test_enable_flag_creates_the_state_of_a_new_environment(project, bob):
    flag = make_flag(project)
    change = changes.enable_flag(flag, "eu-canary", actor=bob, reason="canary", source="dashboard")
    assert change.before is None and change.after["enabled"] is True
    assert FlagEnvironment.objects.get(flag=flag, environment="eu-canary").enabled


def test_state_change_is_validated_against_the_flags_variants(project, bob):
    flag = make_flag(project)
    with pytest.raises(InvalidChange, match="'blue' is not one of the variants"):
        changes.update_environment(flag, "production", {"default_variant": "blue"}, actor=bob, source="api")
    with pytest.raises(InvalidChange, match="rule 1"):
        changes.update_environment(flag, "production", {"rules": [{"conditions": [], "variant": "on"}]},
                                   actor=bob, source="api")
    with pytest.raises(InvalidChange, match="0 to 100"):
        changes.update_environment(flag, "production", {"rollout_percentage": 120}, actor=bob, source="api")
    assert flag.changes.count() == 1  # only "created"


def test_unchanged_state_writes_no_audit_row(project, bob):
    flag = make_flag(project)
    assert changes.update_environment(flag, "production", {"enabled": True}, actor=bob, source="api", reason="x") is None


def test_rollout_change_is_audited_with_the_reason(project, bob):
    flag = make_flag(project)
    change = changes.update_environment(flag, "production", {"rollout_percentage": "12.5"}, actor=bob,
                                        source="api", reason="ramp")
    assert (change.action, change.before["rollout_percentage"], change.after["rollout_percentage"]) == ("state_changed", 100, 12.5)


def test_update_flag_edits_metadata_and_refuses_identity_fields(project, alice, bob):
    flag = make_flag(project)
    change = changes.update_flag(flag, {"owner": bob, "team": "payments"}, actor=alice, source="admin", reason="handover")
    assert (change.before["owner"], change.after["owner"], change.after["team"]) == ("alice", "bob", "payments")
    with pytest.raises(InvalidChange, match="cannot be changed: key"):
        changes.update_flag(flag, {"key": "renamed"}, actor=alice, source="admin")


def test_removing_a_variant_in_use_is_refused(project, alice):
    flag = make_flag(project)
    with pytest.raises(InvalidChange, match="default_variant 'on' is not one of the variants"):
        changes.update_flag(flag, {"variants": {"yes": True, "off": False}}, actor=alice, source="admin")


def test_delete_flag_keeps_its_history(project, alice):
    flag = make_flag(project)
    changes.delete_flag(flag, actor=alice, source="admin", reason="cleaned up")
    rows = FlagChange.objects.filter(project=project, flag_key="new-checkout")
    assert [r.action for r in rows] == ["deleted", "created"]
    assert rows[0].before["environments"]["production"]["enabled"] is True
    assert all(r.flag_id is None for r in rows)


def test_audit_rows_are_append_only(project, alice):
    change = make_flag(project).changes.get()
    with pytest.raises(TypeError, match="append-only"):
        change.reason = "rewritten"
        change.save()
    with pytest.raises(TypeError, match="append-only"):
        change.delete()
    with pytest.raises(TypeError, match="append-only"):
        FlagChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(TypeError, match="append-only"):
        FlagChange.objects.filter(pk=change.pk).delete()


def test_change_is_published_only_after_commit(project, bob, django_capture_on_commit_callbacks):
    flag = make_flag(project)
    before = cache.load(project.id, "production")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changes.disable_flag(flag, "production", actor=bob, reason="errors", source="api")
    assert cache.load(project.id, "production").version == before.version  # nothing before commit
    for callback in callbacks:
        callback()
    after = cache.load(project.id, "production")
    assert after.version != before.version
    assert after.flags["new-checkout"]["enabled"] is False


def test_a_failed_change_publishes_nothing_and_records_nothing(project, bob, django_capture_on_commit_callbacks):
    flag = make_flag(project)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidChange):
        changes.change_flag(flag, fields={"team": "web"}, states={"production": {"rollout_percentage": 500}},
                            actor=bob, source="api")
    assert callbacks == []
    flag.refresh_from_db()
    assert flag.team == "" and flag.changes.count() == 1


def test_published_change_goes_out_on_the_projects_channel(project, bob, redis_client, django_capture_on_commit_callbacks):
    flag = make_flag(project)
    pubsub = redis_client.pubsub()
    pubsub.subscribe(cache.channel(project.id))
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    with django_capture_on_commit_callbacks(execute=True):
        change = changes.disable_flag(flag, "production", actor=bob, reason="errors", source="api")
    message = json.loads(pubsub.get_message(timeout=2)["data"])
    pubsub.close()
    assert message["type"] == "refetchEvaluation"
    assert (message["flag"], message["action"], message["environment"]) == ("new-checkout", "disabled", "production")
    assert message["change"] == change.id
    assert message["etag"] == cache.load(project.id, "production").version
