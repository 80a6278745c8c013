"""When a change needs a second member's approval: the project's policy, and what "widen" means.

A project's ApprovalPolicy names the environments (usually production) where enabling or
widening a flag is held for approval (flags.approvals). Widening is any change that can serve
someone a variant other than what they get now, other than turning the flag off: enabling it,
raising its rollout, another default variant or weights, changed rules, keys added to the allow
list or removed from the deny list. Narrowing (disabling, lowering the rollout, denying keys,
un-allowing keys) and the guard setting are never held: breaking glass is always allowed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from flags import audit
from flags.models import ApprovalPolicy
from flags.validation import InvalidChange, validate_environment


class ApprovalRequired(InvalidChange):
    """The change widens the flag in an environment that needs approval. The message says how to
    ask; `widening` lists what it widens, in words."""

    def __init__(self, flag_key: str, environment: str, widening: list[str]):
        super().__init__(
            f"{flag_key} in {environment}: {'; '.join(widening)}. Enabling or widening a flag in {environment} "
            "needs a second member's approval: request it (flag page, or POST …/approval-requests/)"
        )
        self.flag_key, self.environment, self.widening = flag_key, environment, widening


def approval_environments(project_id: int) -> list[str]:
    policy = ApprovalPolicy.objects.filter(project_id=project_id).first()
    return list(policy.environments) if policy else []


def set_approval_environments(project, environments, *, actor, source: str, reason: str = "") -> bool:
    """Sets which environments need approval (audited, action `approval_policy_changed`);
    False when nothing changed."""
    if not isinstance(environments, list):
        raise InvalidChange('environments must be a list, e.g. ["production"]')
    cleaned = sorted({validate_environment(e) for e in environments})
    with transaction.atomic():
        policy, _ = ApprovalPolicy.objects.select_for_update().get_or_create(project=project)
        if policy.environments == cleaned:
            return False
        before = {"environments": policy.environments}
        policy.environments, policy.updated_at = cleaned, timezone.now()
        policy.save()
        audit.record(project=project, flag=None, action="approval_policy_changed", source=source, actor=actor,
                     before=before, after={"environments": cleaned}, reason=(reason or "").strip())
    return True


def requires_approval(project_id: int, environment: str) -> bool:
    return environment in approval_environments(project_id)


def _number(value) -> float:
    return float(value or 0)


def widening(before: dict | None, after: dict | None) -> list[str]:
    """What a state change widens, in words ([] when nothing: it narrows or changes nothing
    anyone is served). `before` and `after` are flags.audit.state_snapshot dicts."""
    if not after or not after.get("enabled"):
        return []
    if not before or not before.get("enabled"):
        return ["turns it on"]
    found = []
    if _number(after.get("rollout_percentage")) > _number(before.get("rollout_percentage")):
        found.append(f"raises the rollout from {_number(before.get('rollout_percentage')):g} % "
                     f"to {_number(after.get('rollout_percentage')):g} %")
    if after.get("default_variant") != before.get("default_variant"):
        found.append(f"serves {after.get('default_variant')} instead of {before.get('default_variant')}")
    if (after.get("weights") or {}) != (before.get("weights") or {}):
        found.append("changes the weights")
    if (after.get("rules") or []) != (before.get("rules") or []):
        found.append("changes the rules")
    allowed = set(after.get("allow_keys") or []) - set(before.get("allow_keys") or [])
    if allowed:
        found.append(f"adds {len(allowed)} key{'s' if len(allowed) != 1 else ''} to the allow list")
    undenied = set(before.get("deny_keys") or []) - set(after.get("deny_keys") or [])
    if undenied:
        found.append(f"removes {len(undenied)} key{'s' if len(undenied) != 1 else ''} from the deny list")
    return found


def check_not_held(flag, environment: str, before: dict | None, after: dict | None) -> None:
    """Raises ApprovalRequired when the change widens the flag where the project needs approval."""
    widens = widening(before, after)
    if widens and requires_approval(flag.project_id, environment):
        raise ApprovalRequired(flag.key, environment, widens)
