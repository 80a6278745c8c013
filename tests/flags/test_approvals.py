"""Approvals: what widens a flag (flags.policy), changes held where a project requires approval,
and the requests a second member approves or rejects (flags.approvals). Disabling is never held."""

import datetime as dt
from decimal import Decimal

import pytest

from flags import approvals, changes, policy, schedules
from flags.models import (
    ApprovalRequest,
    ApprovalStatus,
    FlagChange,
    FlagEnvironment,
    Schedule,
    ScheduleStatus,
)
from flags.policy import ApprovalRequired, widening
from flags.validation import InvalidChange
from tests.factories import make_user
from tests.flags.factories import make_flag

ON = {"enabled": True, "default_variant": "on", "rollout_percentage": 10, "weights": {}, "rules": [], "allow_keys": ["a"],
      "deny_keys": ["d"], "guard": "off"}


@pytest.mark.parametrize("after, widens", [
    ({**ON, "enabled": False}, []),
    ({**ON, "rollout_percentage": 5}, []),
    ({**ON, "deny_keys": ["d", "e"], "allow_keys": []}, []),
    ({**ON, "guard": "enforce"}, []),
    ({**ON, "rollout_percentage": 25}, ["raises the rollout from 10 % to 25 %"]),
    ({**ON, "allow_keys": ["a", "b"]}, ["adds 1 key to the allow list"]),
    ({**ON, "deny_keys": []}, ["removes 1 key from the deny list"]),
    ({**ON, "rules": [{"conditions": [], "variant": "on"}]}, ["changes the rules"]),
    ({**ON, "default_variant": "big"}, ["serves big instead of on"]),
])
def test_what_widens_a_flag_that_is_on(after, widens):
    assert widening(ON, after) == widens


def test_enabling_widens_and_changes_to_an_off_flag_do_not():
    off = {**ON, "enabled": False}
    assert widening(off, ON) == ["turns it on"] and widening(None, ON) == ["turns it on"]
    assert widening(off, {**off, "rollout_percentage": 100}) == []


@pytest.fixture
def guarded(project, alice):
    policy.set_approval_environments(project, ["production"], actor=alice, source="dashboard", reason="four eyes")
    return project


@pytest.fixture
def dark(guarded):
    return make_flag(guarded, "new-checkout", environments={})


def test_the_policy_change_is_audited(guarded, alice):
    change = FlagChange.objects.get(action="approval_policy_changed")
    assert (change.before, change.after, change.actor, change.reason) == (
        {"environments": []}, {"environments": ["production"]}, alice, "four eyes")
    assert policy.set_approval_environments(guarded, ["production"], actor=alice, source="api") is False


def test_enabling_or_widening_in_production_is_held_and_elsewhere_is_not(dark, bob):
    with pytest.raises(ApprovalRequired, match="needs a second member's approval") as held:
        changes.enable_flag(dark, "production", actor=bob, reason="launch", source="dashboard")
    assert held.value.widening == ["turns it on"]
    assert not FlagEnvironment.objects.get(flag=dark, environment="production").enabled
    changes.enable_flag(dark, "staging", actor=bob, reason="try it", source="dashboard")
    assert FlagEnvironment.objects.get(flag=dark, environment="staging").enabled


def test_creating_a_flag_on_in_production_is_held_too(guarded, bob):
    with pytest.raises(ApprovalRequired):
        make_flag(guarded, "search-v2", owner=bob)


def test_disabling_and_narrowing_are_never_held(guarded, alice, bob):
    policy.set_approval_environments(guarded, [], actor=alice, source="api")
    flag = make_flag(guarded, "search-v2", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    policy.set_approval_environments(guarded, ["production"], actor=alice, source="api")
    changes.update_environment(flag, "production", {"rollout_percentage": 10, "deny_keys": ["u1"]}, actor=bob,
                               source="api")
    assert changes.disable_flag(flag, "production", actor=bob, reason="errors", source="dashboard") is not None
    assert not FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_a_second_member_approves_and_the_change_applies_as_asked(dark, alice, bob):
    request = approvals.request_change(dark, "production", {"enabled": True, "rollout_percentage": 5}, actor=bob,
                                       reason="launch to 5 %", source="dashboard")
    assert (request.widening, request.before["enabled"], request.changes) == (
        ["turns it on"], False, {"enabled": True, "rollout_percentage": 5})
    with pytest.raises(InvalidChange, match="a second member must approve"):
        approvals.approve(request, reviewer=bob, source="dashboard")

    approvals.approve(request, reviewer=alice, comment="looks fine", source="dashboard")

    state = FlagEnvironment.objects.get(flag=dark, environment="production")
    assert (state.enabled, state.rollout_percentage) == (True, Decimal(5))
    request.refresh_from_db()
    assert (request.status, request.reviewed_by, request.review_comment) == (ApprovalStatus.APPLIED, alice, "looks fine")
    actions = list(FlagChange.objects.filter(flag=dark, environment="production").order_by("id")
                   .values_list("action", "actor__username"))
    assert actions == [("approval_requested", "bob"), ("enabled", "bob"), ("approval_approved", "alice")]
    enabled = FlagChange.objects.get(flag=dark, action="enabled")
    assert enabled.reason == f"launch to 5 % (approved by alice, request #{request.id})"


def test_only_a_member_may_approve_and_a_closed_request_stays_closed(dark, bob, charlie, alice):
    request = approvals.request_change(dark, "production", {"enabled": True}, actor=bob, reason="launch", source="api")
    with pytest.raises(InvalidChange, match="only a member"):
        approvals.approve(request, reviewer=charlie, source="api")
    approvals.reject(request, reviewer=alice, comment="not on a Friday", source="api")
    with pytest.raises(InvalidChange, match="rejected, not pending"):
        approvals.approve(request, reviewer=alice, source="api")
    assert not FlagEnvironment.objects.get(flag=dark, environment="production").enabled
    assert FlagChange.objects.get(action="approval_rejected").reason == f"request #{request.id}: not on a Friday"


def test_a_request_whose_flag_changed_meanwhile_cannot_be_approved(dark, alice, bob):
    request = approvals.request_change(dark, "production", {"enabled": True}, actor=bob, reason="launch", source="api")
    changes.update_environment(dark, "production", {"deny_keys": ["u1"]}, actor=alice, source="api")
    with pytest.raises(InvalidChange, match="changed in production since request"):
        approvals.approve(request, reviewer=alice, source="api")


def test_a_request_needs_a_reason_a_widening_and_no_other_pending_request(dark, bob, alice):
    with pytest.raises(InvalidChange, match="reason"):
        approvals.request_change(dark, "production", {"enabled": True}, actor=bob, reason="", source="api")
    with pytest.raises(InvalidChange, match="needs no approval"):
        approvals.request_change(dark, "staging", {"enabled": True}, actor=bob, reason="x", source="api")
    with pytest.raises(InvalidChange, match="needs no approval"):
        approvals.request_change(dark, "production", {"rollout_percentage": 50}, actor=bob, reason="x", source="api")
    first = approvals.request_change(dark, "production", {"enabled": True}, actor=bob, reason="x", source="api")
    with pytest.raises(InvalidChange, match=f"request #{first.id} .* already pending"):
        approvals.request_change(dark, "production", {"enabled": True}, actor=alice, reason="y", source="api")
    with pytest.raises(InvalidChange, match="only the member who asked"):
        approvals.cancel(first, actor=alice, source="api")
    approvals.cancel(first, actor=bob, source="api")
    assert ApprovalRequest.objects.get(pk=first.pk).status == ApprovalStatus.CANCELLED


def test_a_widening_schedule_waits_for_approval_then_starts(dark, alice, bob):
    t0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    schedule = schedules.create_schedule(dark, "production", schedules.progressive_steps([1, 50], every_minutes=30),
                                         start_at=t0, actor=bob, source="dashboard", reason="ramp", now=t0)
    assert schedule.status == ScheduleStatus.PENDING_APPROVAL
    assert schedules.run_due(t0 + dt.timedelta(hours=1)) == []
    request = ApprovalRequest.objects.get(schedule=schedule)
    assert request.widening == ["turns it on", "raises the rollout from 1 % to 50 %"]

    approvals.approve(request, reviewer=alice, source="dashboard", now=t0 + dt.timedelta(hours=2))

    schedules.run_due(t0 + dt.timedelta(hours=2))
    assert FlagEnvironment.objects.get(flag=dark, environment="production").rollout_percentage == Decimal(1)
    schedules.run_due(t0 + dt.timedelta(hours=2, minutes=30))
    assert FlagEnvironment.objects.get(flag=dark, environment="production").rollout_percentage == Decimal(50)


def test_rejecting_a_schedules_request_cancels_the_schedule(dark, alice, bob):
    schedule = schedules.create_schedule(dark, "production", [{"changes": {"enabled": True}}],
                                         start_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), actor=bob, source="api",
                                         reason="launch")
    approvals.reject(ApprovalRequest.objects.get(schedule=schedule), reviewer=alice, source="api")
    assert Schedule.objects.get(pk=schedule.pk).status == ScheduleStatus.CANCELLED


def test_an_unapproved_schedule_step_pauses_when_the_policy_arrives_later(project, alice, bob):
    flag = make_flag(project, "new-checkout", environments={})
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    schedule = schedules.create_schedule(flag, "production", [{"changes": {"enabled": True}}], start_at=t0, actor=bob,
                                         source="api", reason="launch", now=t0)
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    assert schedules.run_due(t0) == [(schedule.id, 0, "paused")]
    assert "approval" in Schedule.objects.get(pk=schedule.pk).status_reason


def test_error_evidence_collects_every_source_and_leaves_out_a_failing_one(dark, monkeypatch):
    def failing(project, key, environment, now):
        raise RuntimeError("boom")

    def quiet(project, key, environment, now):
        return approvals.ErrorEvidence("test", f"{key} in {environment}")

    monkeypatch.setattr(approvals, "_evidence_sources", [failing, quiet])
    found = approvals.error_evidence(dark.project, "new-checkout", "production", dt.datetime.now(dt.UTC))
    assert [(e.source, e.window) for e in found] == [("test", "new-checkout in production")]


def test_a_reviewer_who_is_a_superuser_outside_the_project_may_approve(dark, bob):
    root = make_user("root", is_superuser=True, is_staff=True)
    request = approvals.request_change(dark, "production", {"enabled": True}, actor=bob, reason="launch", source="api")
    approvals.approve(request, reviewer=root, source="admin")
    assert FlagEnvironment.objects.get(flag=dark, environment="production").enabled
