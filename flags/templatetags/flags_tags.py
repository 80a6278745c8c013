"""Template filters for the flags pages. Output is plain text: autoescaping still applies."""

import json

from django import template

from flags import audit

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


@register.filter
def compact_json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@register.filter
def changed_fields(change) -> str:
    return audit.change_summary(change.before, change.after)


@register.filter
def percent(value) -> str:
    """Decimal('50.00') → '50', Decimal('12.50') → '12.5'."""
    return f"{value.normalize():f}" if value is not None else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def pending_approvals(project) -> int:
    from flags.models import ApprovalRequest, ApprovalStatus

    return ApprovalRequest.objects.filter(flag__project=project, status=ApprovalStatus.PENDING).count()


@register.filter
def step_text(step) -> str:
    from flags.schedules import describe_step

    return describe_step(step)


@register.filter
def weight_list(weights) -> str:
    """{"a": 45, "b": 55} → 'a 45 % · b 55 %'."""
    return " · ".join(f"{name} {value:g} %" for name, value in (weights or {}).items())
