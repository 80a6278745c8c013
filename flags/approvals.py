"""Approval requests: a second member signs off enabling or widening a flag where the project
requires it (flags.policy), one function per step: request, approve, reject, cancel.

A request holds a partial state change (or a schedule, flags.schedules) with the state it was
asked against, so the reviewer sees the diff. It shows the flag's current error evidence too,
from the sources registered with `error_evidence_source`: flags imports nothing of triage, so
triage registers its own (triage.flagstate), as it does for the stale-flags report's keys.
Approving applies the change through flags.changes as the requester, with the reviewer named in
the audit reason; a request whose flag changed meanwhile cannot be approved (the diff would lie).
Disabling is never held, so it never needs a request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from flags import audit, changes, policy
from flags.models import ApprovalRequest, ApprovalStatus, Flag, FlagEnvironment
from flags.validation import InvalidChange, validate_environment, validate_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CohortLine:
    """One value of the flag over the evidence window: users served it, users an error hit."""

    value: str
    exposed: int | None  # None: no exposures counted (evaluated elsewhere)
    affected: int
    events: int


@dataclass(frozen=True)
class GroupLine:
    title: str
    events: int
    url: str
    suspect: bool = False
    evidence: str = ""


@dataclass(frozen=True)
class ErrorEvidence:
    """What the errors say about a flag right now, from one source."""

    source: str
    window: str  # "last hour in production"
    cohorts: list[CohortLine] = field(default_factory=list)
    groups: list[GroupLine] = field(default_factory=list)


# Functions (project, flag key, environment, now) -> ErrorEvidence | None.
_evidence_sources: list[Callable] = []


def error_evidence_source(function: Callable) -> Callable:
    """Decorator: registers a source of error evidence about a flag, for approval requests."""
    _evidence_sources.append(function)
    return function


def error_evidence(project, flag_key: str, environment: str, now: dt.datetime) -> list[ErrorEvidence]:
    """Every registered source's evidence; a source that fails is logged and left out, so a
    broken source never blocks a review (the page says when there is none)."""
    found = []
    for source in _evidence_sources:
        try:
            evidence = source(project, flag_key, environment, now)
        except Exception:
            log.exception("error evidence source %s failed for %s", getattr(source, "__name__", source), flag_key)
            continue
        if evidence is not None:
            found.append(evidence)
    return found


def _json_state(cleaned: dict) -> dict:
    return {name: audit._json(value) for name, value in cleaned.items()}


def _current(flag: Flag, environment: str) -> FlagEnvironment | None:
    return FlagEnvironment.objects.filter(flag=flag, environment=environment).first()


def preview(flag: Flag, environment: str, state_changes: dict) -> tuple[dict | None, dict]:
    """(state now, state after the change) as audit snapshots, without saving anything."""
    current = _current(flag, environment)
    before = audit.state_snapshot(current)
    after = dict(before or audit.state_snapshot(FlagEnvironment(
        flag=flag, environment=environment, default_variant=next(v for v in flag.variants if v != flag.off_variant))))
    after.update(_json_state(validate_state(state_changes, flag.variants)))
    return before, after


def _pending(flag: Flag, environment: str) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(flag=flag, environment=environment, status=ApprovalStatus.PENDING).first()


def request_change(flag: Flag, environment: str, state_changes: dict, *, actor, reason: str, source: str) -> ApprovalRequest:
    """Holds a state change for approval. InvalidChange when it needs none (it does not widen the
    flag, or the environment needs no approval: apply it instead), when a request for the flag
    and environment is already pending, or without a reason."""
    validate_environment(environment)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange("a reason is required to request a change")
    cleaned = _json_state(validate_state(state_changes, flag.variants))
    before, after = preview(flag, environment, cleaned)
    widening = policy.widening(before, after)
    if not widening or not policy.requires_approval(flag.project_id, environment):
        raise InvalidChange("this change needs no approval: apply it directly")
    with transaction.atomic():
        Flag.objects.select_for_update().filter(pk=flag.pk).first()  # one pending request per flag and environment
        pending = _pending(flag, environment)
        if pending is not None:
            raise InvalidChange(f"request #{pending.id} for {flag.key} in {environment} is already pending: "
                                "approve, reject or cancel it first")
        request = ApprovalRequest.objects.create(flag=flag, environment=environment, changes=cleaned, before=before,
                                                 widening=widening, reason=reason, requested_by=actor)
        audit.record(project=flag.project, flag=flag, action="approval_requested", source=source, actor=actor,
                     environment=environment, before=before, after=after, reason=f"request #{request.id}: {reason}")
    return request


def hold_schedule(schedule, widening: list[str], *, actor, source: str) -> ApprovalRequest:
    """The approval request of a schedule that widens the flag (flags.schedules.create_schedule)."""
    before = audit.state_snapshot(_current(schedule.flag, schedule.environment))
    request = ApprovalRequest.objects.create(flag=schedule.flag, environment=schedule.environment, schedule=schedule,
                                             before=before, widening=widening, reason=schedule.reason, requested_by=actor)
    audit.record(project=schedule.flag.project, flag=schedule.flag, action="approval_requested", source=source,
                 actor=actor, environment=schedule.environment, before=before, after={"schedule": schedule.id,
                 "steps": schedule.steps}, reason=f"request #{request.id}: {schedule.reason}")
    return request


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update(of=("self",)).select_related("flag__project", "requested_by", "schedule").get(
        pk=request.pk)
    if request.status != ApprovalStatus.PENDING:
        raise InvalidChange(f"request #{request.id} is {request.get_status_display().lower()}, not pending")
    return request


def _close(request: ApprovalRequest, status: str, reviewer, comment: str, now: dt.datetime) -> None:
    request.status, request.reviewed_by, request.reviewed_at = status, reviewer, now
    request.review_comment = (comment or "").strip()
    request.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])


def approve(request: ApprovalRequest, *, reviewer, comment: str = "", source: str, now: dt.datetime | None = None):
    """Approves and applies the request. The reviewer must be another member of the project than
    the requester. Refused when the flag's state changed since the request."""
    from flags import schedules

    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        flag = request.flag
        if reviewer.pk == request.requested_by_id:
            raise InvalidChange("a second member must approve: you asked for this change")
        if not reviewer.is_superuser and not flag.project.members.filter(pk=reviewer.pk).exists():
            raise InvalidChange("only a member of the project can approve")
        if request.schedule_id is None:
            now_state = audit.state_snapshot(_current(flag, request.environment))
            if now_state != request.before:
                raise InvalidChange(f"{flag.key} changed in {request.environment} since request #{request.id}: "
                                    "the diff is no longer what would happen; cancel it and ask again")
            reason = f"{request.reason} (approved by {reviewer.get_username()}, request #{request.id})"
            changes.update_environment(flag, request.environment, request.changes, actor=request.requested_by,
                                       source=source, reason=reason, approved=True)
        else:
            schedules.start_approved(request.schedule, now)
        _close(request, ApprovalStatus.APPLIED, reviewer, comment, now)
        audit.record(project=flag.project, flag=flag, action="approval_approved", source=source, actor=reviewer,
                     environment=request.environment, reason=f"request #{request.id}" + (f": {comment}" if comment else ""))
    return request


def reject(request: ApprovalRequest, *, reviewer, comment: str = "", source: str, now: dt.datetime | None = None):
    """Rejects the request (its schedule, if any, is cancelled). Any member who may change flags."""
    return _end(request, ApprovalStatus.REJECTED, "approval_rejected", actor=reviewer, comment=comment, source=source,
                now=now)


def cancel(request: ApprovalRequest, *, actor, source: str, now: dt.datetime | None = None):
    """Withdraws the request: only its requester."""
    if actor.pk != request.requested_by_id:
        raise InvalidChange("only the member who asked can cancel a request (others reject it)")
    return _end(request, ApprovalStatus.CANCELLED, "approval_cancelled", actor=actor, comment="", source=source, now=now)


def _end(request, status: str, action: str, *, actor, comment: str, source: str, now):
    from flags import schedules

    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        _close(request, status, actor, comment, now)
        if request.schedule_id is not None:
            schedules.end_unapproved(request.schedule, status=status, actor=actor, source=source)
        audit.record(project=request.flag.project, flag=request.flag, action=action, source=source, actor=actor,
                     environment=request.environment, reason=f"request #{request.id}" + (f": {comment}" if comment else ""))
    return request


def diff(request: ApprovalRequest) -> list[tuple[str, object, object]]:
    """(field, now, after) for each state field the request changes, for its page."""
    if request.schedule_id is not None:
        return []
    before = request.before or {}
    after = {**before, **request.changes}
    return [(name, before.get(name), after.get(name)) for name in audit.changed_fields(before, after)]


def pending_for(project) -> list[ApprovalRequest]:
    return list(ApprovalRequest.objects.filter(flag__project=project, status=ApprovalStatus.PENDING)
                .select_related("flag", "requested_by", "schedule"))
