"""A project's fingerprint rules: read for fingerprinting outside the digest, and changed, audited.

Every change goes through `save_fingerprint_rules`, which checks the text, keeps it, and writes
who changed it, when, the text before and after, and why (FingerprintRulesChange) in the same
transaction. The workers read the rules with the project (triage.stream.wiring), so a change
applies to events digested from a few seconds later; stored events keep their groups.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from triage.fingerprint import FingerprintRule, parse_fingerprint_rules, parse_rules
from triage.models import FingerprintRulesChange, ProjectFingerprintRules

MAX_TEXT = 50_000
MAX_REASON = 1000


def fingerprint_rules_text(project) -> str:
    return ProjectFingerprintRules.objects.filter(project=project).values_list("rules", flat=True).first() or ""


def project_fingerprint_rules(project) -> tuple[FingerprintRule, ...]:
    """The saved rules, parsed; none when the saved text no longer parses (it was checked on save)."""
    try:
        return tuple(parse_fingerprint_rules(fingerprint_rules_text(project)))
    except ValueError:
        return ()


def project_stack_rules(project) -> list[str]:
    try:
        return parse_rules(project.grouping_rules)
    except ValueError:
        return []


def check_fingerprint_rules(text: str) -> list[FingerprintRule]:
    """ValueError with the first problem, for a text that cannot be saved."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"The rules are {len(text):,} characters long; keep them under {MAX_TEXT:,}.")
    return parse_fingerprint_rules(text)


def save_fingerprint_rules(project, text: str, *, actor, reason: str, now: dt.datetime) -> FingerprintRulesChange | None:
    """Keeps `text` as the project's rules and audits the change; None when nothing changed.
    ValueError for rules that do not parse or a missing reason."""
    text = text.replace("\r\n", "\n").strip("\n")
    check_fingerprint_rules(text)
    reason = reason.strip()
    if not reason:
        raise ValueError("Say why the rules change: the audit keeps it with the change.")
    with transaction.atomic():
        current, _ = ProjectFingerprintRules.objects.select_for_update().get_or_create(
            project=project, defaults={"updated_at": now, "updated_by": actor})
        if current.rules == text:
            return None
        change = FingerprintRulesChange.objects.create(
            project=project, actor=actor, created_at=now, before=current.rules, after=text, reason=reason[:MAX_REASON])
        current.rules, current.updated_at, current.updated_by = text, now, actor
        current.save(update_fields=["rules", "updated_at", "updated_by"])
    return change
