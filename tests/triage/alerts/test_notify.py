"""notify and notify_user: which rules fire, one delivery per webhook and address, repeats held
back per rule and group, queued on commit; and new_group and regression fired by a real digest."""

import pytest
from django.utils import timezone

from tests.factories import make_event, make_project, make_user
from tests.triage.pipeline import drain, send_events
from triage import actions
from triage.alerts import notify, notify_user, rules
from triage.alerts.rules import create_rule, set_rule_enabled
from triage.models import AlertDelivery, ErrorGroup

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.com/switchyard"


def rule(project, trigger="new_group", **fields):
    made, _ = create_rule(project, {"name": trigger, "trigger": trigger, "webhook_url": HOOK, **fields}, actor=None)
    rules.forget_cached_rules()  # as create_rule does on commit, which a test's transaction never reaches
    return made


def fire(project, trigger, **kwargs):
    kwargs.setdefault("details", {"title": "ValueError: bad price"})
    return notify(project.id, trigger, now=timezone.now(), **kwargs)


def test_a_rule_gets_one_delivery_per_webhook_and_address(project, redis_client, queued, django_capture_on_commit_callbacks):
    made = rule(project, emails=["ops@example.com", "dev@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        assert fire(project, "new_group", group_id=None, flag_key="x") == 3
    deliveries = AlertDelivery.objects.filter(rule=made).order_by("id")
    assert [(d.channel, d.target, d.status, d.attempts) for d in deliveries] == [
        ("webhook", HOOK, "pending", 0), ("email", "ops@example.com", "pending", 0), ("email", "dev@example.com", "pending", 0)]
    assert queued == [d.id for d in deliveries]
    assert deliveries[0].reason == "New group: ValueError: bad price"


def test_only_the_projects_enabled_rules_of_that_trigger_fire(project, redis_client, queued):
    rule(project, "regression")
    set_rule_enabled(rule(project, "new_group"), False)
    rule(make_project("elsewhere"), "new_group")
    assert fire(project, "new_group", flag_key="x") == 0
    assert queued == [] and not AlertDelivery.objects.filter(trigger="new_group").exists()


def test_spike_and_cohort_rules_fire_from_their_threshold(project, redis_client, queued):
    rule(project, "spike", threshold=10)
    rule(project, "flag_cohort", threshold=0.25)
    assert fire(project, "spike", group_id=None, flag_key="a", value=9.5) == 0
    assert fire(project, "spike", flag_key="b", value=10.0, details={"title": "CheckoutError", "evidence": "14× its usual rate"}) == 1
    assert fire(project, "flag_cohort", flag_key="new-checkout", value=0.31, details={"flag": "new-checkout"}) == 1
    reasons = list(AlertDelivery.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == ["Spike score 10 reached the threshold 10: CheckoutError (14× its usual rate)",
                       "Affected rate 0.31 with new-checkout reached the threshold 0.25"]


def test_a_rule_tells_about_a_group_once_within_its_repeat_minutes(project, redis_client, queued):
    rule(project, "spike", threshold=1)
    group, other = (ErrorGroup.objects.create(project=project, fingerprint=f, algorithm="t", title=f, first_seen=timezone.now(),
                                              last_seen=timezone.now()) for f in ("a", "b"))
    assert fire(project, "spike", group_id=group.id, value=5) == 1
    assert fire(project, "spike", group_id=group.id, value=50) == 0
    assert fire(project, "spike", group_id=other.id, value=5) == 1
    assert rule(project, "spike", threshold=1, name="second") and fire(project, "spike", group_id=group.id, value=5) == 1


def test_guard_rules_fire_for_a_flag(project, redis_client, queued):
    made = rule(project, "guard")
    assert fire(project, "guard", flag_key="new-checkout", details={"flag": "new-checkout", "evidence": "dry run: would disable"}) == 1
    delivery = AlertDelivery.objects.get(rule=made)
    assert (delivery.flag_key, delivery.reason) == ("new-checkout", "Flag guard on new-checkout (dry run: would disable)")


def test_an_unknown_trigger_is_a_programming_error(project):
    with pytest.raises(ValueError, match="unknown alert trigger"):
        fire(project, "sunrise")


def test_deliveries_are_queued_only_when_the_transaction_commits(project, redis_client, queued,
                                                                  django_capture_on_commit_callbacks):
    rule(project)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert fire(project, "new_group", flag_key="x") == 1
    assert queued == []  # not yet: the transaction might still roll back
    for callback in callbacks:
        callback()
    assert queued == [AlertDelivery.objects.get().id]


def test_notify_user_emails_one_person(queued, django_capture_on_commit_callbacks):
    owner = make_user("olga")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_user(owner, "Guard disabled new-checkout", "errors doubled in its cohort", now=timezone.now(),
                           details={"trigger": "guard", "flag_key": "new-checkout", "evidence": "31 % vs 2 %"}) == 1
    delivery = AlertDelivery.objects.get()
    assert (delivery.rule, delivery.channel, delivery.target, delivery.trigger, delivery.flag_key) == (
        None, "email", "olga@example.com", "guard", "new-checkout")
    assert queued == [delivery.id]
    owner.email = ""
    assert notify_user(owner, "s", "t", now=timezone.now(), details={}) == 0


def test_a_digest_fires_new_group_once_per_group_and_regression_when_a_group_comes_back(
        project, redis_client, queued, django_capture_on_commit_callbacks):
    new_group, regression = rule(project, "new_group"), rule(project, "regression")
    with django_capture_on_commit_callbacks(execute=True):
        send_events(project, [make_event(release="shop@1.0.0") for _ in range(3)])
        drain(redis_client)
        send_events(project, [make_event(release="shop@1.0.0")])  # the same group again: not new
        drain(redis_client)
    group = ErrorGroup.objects.get()
    assert list(new_group.deliveries.values_list("group_id", "trigger", "details__title")) == [(group.id, "new_group", group.title)]
    assert new_group.deliveries.get().details["url"].endswith(f"/groups/{group.id}/")
    assert not regression.deliveries.exists()

    actions.resolve_in_next_release(group, actor=None, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        send_events(project, [make_event(release="shop@1.1.0") for _ in range(2)])
        drain(redis_client)
    assert list(regression.deliveries.values_list("group_id", "trigger")) == [(group.id, "regression")]
    assert new_group.deliveries.count() == 1 and len(queued) == 2


def test_a_batch_with_nothing_new_asks_nothing_of_alerts(project, redis_client, queued, django_capture_on_commit_callbacks):
    send_events(project, [make_event()])
    drain(redis_client)
    send_events(project, [make_event()])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        drain(redis_client)
    assert callbacks == []


def test_details_as_the_attribution_passes_them_name_the_group_and_link_to_it(project, redis_client, queued):
    rule(project, "spike", threshold=10)
    group = ErrorGroup.objects.create(project=project, fingerprint="f", algorithm="t", title="CheckoutError: declined",
                                      first_seen=timezone.now(), last_seen=timezone.now())
    details = {"group": group.title, "group_id": group.id, "score": 14.0, "began_at": None}
    assert notify(project.id, "spike", now=timezone.now(), group_id=group.id, value=14.0, details=details) == 1
    delivery = AlertDelivery.objects.get()
    assert delivery.reason == "Spike score 14 reached the threshold 10: CheckoutError: declined"
    owner = make_user("olga")
    notify_user(owner, "Switchyard disabled new-checkout in production", "errors tripled", now=timezone.now(),
                details={**details, "flag": "new-checkout", "mode": "enforce"})
    told = AlertDelivery.objects.get(rule=None)
    assert told.flag_key == "new-checkout" and told.details["url"].endswith(f"/groups/{group.id}/")


def test_an_alert_on_a_flag_pauses_its_progressive_rollout_there(project, redis_client, queued, alice):
    import datetime as dt

    from flags import schedules
    from flags.models import Schedule
    from tests.flags.factories import make_flag

    flag = make_flag(project, "new-checkout", environments={})
    running = schedules.create_schedule(flag, "production", schedules.progressive_steps([1, 5], 30), actor=alice,
                                        source="api", start_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), reason="ramp")
    elsewhere = schedules.create_schedule(flag, "staging", [{"changes": {"enabled": True}}], actor=alice, source="api",
                                          start_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), reason="try")
    rule(project, "flag_cohort", threshold=0.25)
    fire(project, "flag_cohort", flag_key="new-checkout", value=0.4,
         details={"flag": "new-checkout", "environment": "production"})
    assert Schedule.objects.get(pk=running.pk).status == "paused"
    assert "Affected rate 0.4 with new-checkout" in Schedule.objects.get(pk=running.pk).status_reason
    assert Schedule.objects.get(pk=elsewhere.pk).status == "scheduled"
    fire(project, "flag_cohort", flag_key="new-checkout", value=0.1, details={"flag": "new-checkout"})  # below: no alert
    assert Schedule.objects.get(pk=elsewhere.pk).status == "scheduled"
