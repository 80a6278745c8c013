"""Fingerprint rules of a project: saved with an audit row, applied by the digest to new events, and
previewed on the project's recent events before they are saved."""

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage.grouping.rule_changes import save_fingerprint_rules
from triage.grouping.rule_preview import preview_rules
from triage.models import ErrorEvent, ErrorGroup, FingerprintRulesChange

pytestmark = pytest.mark.django_db

TIMEOUTS = "error.type:TimeoutError -> timeouts"


def group_of(site: str) -> ErrorGroup:
    return ErrorEvent.objects.filter(group__culprit=f"shop.pricing in {site}").latest("id").group


@pytest.fixture
def timeouts(project, redis_client):
    """Two groups of TimeoutError (3 and 2 events) and one of ValueError."""
    push(project, redis_client, [crash("charge", exc_type="TimeoutError") for _ in range(3)]
         + [crash("refund", exc_type="TimeoutError") for _ in range(2)] + [crash("price")])
    return group_of("charge"), group_of("refund"), group_of("price")


def test_saving_audits_who_when_before_after_and_why(project, alice):
    now = timezone.now()
    first = save_fingerprint_rules(project, TIMEOUTS + "\r\n", actor=alice, reason="one group per timeout", now=now)
    second = save_fingerprint_rules(project, "", actor=alice, reason="back to stacks", now=now)
    assert (first.actor, first.before, first.after, first.reason) == (alice, "", TIMEOUTS, "one group per timeout")
    assert (second.before, second.after) == (TIMEOUTS, "")
    assert save_fingerprint_rules(project, "", actor=alice, reason="again", now=now) is None  # nothing changed
    assert FingerprintRulesChange.objects.count() == 2


@pytest.mark.parametrize(("text", "reason", "message"), [
    ("error.type:X", "why", "expected ->"),
    (TIMEOUTS, "  ", "Say why"),
    ("x" * 50_001, "why", "keep them under 50,000"),
])
def test_bad_rules_or_no_reason_save_nothing(project, alice, text, reason, message):
    with pytest.raises(ValueError, match=message):
        save_fingerprint_rules(project, text, actor=alice, reason=reason, now=timezone.now())
    assert not FingerprintRulesChange.objects.exists()


def test_saved_rules_group_new_events_and_leave_stored_ones(project, redis_client, alice, timeouts):
    charge, refund, price = timeouts
    save_fingerprint_rules(project, TIMEOUTS, actor=alice, reason="r", now=timezone.now())
    push(project, redis_client, [crash("charge", exc_type="TimeoutError"), crash("refund", exc_type="TimeoutError"), crash("price")])
    rule_group = ErrorGroup.objects.exclude(id__in=[charge.id, refund.id, price.id]).get()
    assert rule_group.event_count == 2 and rule_group.title.startswith("TimeoutError")
    assert (ErrorGroup.objects.get(id=charge.id).event_count, ErrorGroup.objects.get(id=refund.id).event_count) == (3, 2)
    assert ErrorGroup.objects.get(id=price.id).event_count == 2  # unmatched: grouped as before


def test_preview_names_the_groups_a_rule_would_change_and_how_many_recent_events(project, timeouts):
    charge, refund, price = timeouts
    preview = preview_rules(project, TIMEOUTS, timezone.now())
    assert preview.sampled == 6 and preview.moving == 5 and preview.new_groups == 1
    assert [(c.group.id, c.moving, c.sampled) for c in preview.changes] == [(charge.id, 3, 3), (refund.id, 2, 2)]
    [(destination, n)] = preview.changes[0].destinations
    assert (destination.group, destination.rule, n) == (None, TIMEOUTS, 3)
    assert preview.rule_matches[0][1] == 5
    assert not ErrorGroup.objects.exclude(id__in=[charge.id, refund.id, price.id]).exists()  # a preview changes nothing


def test_preview_of_the_saved_rules_changes_nothing_and_removing_them_leads_back_to_existing_groups(project, redis_client, alice, timeouts):
    charge, refund, _ = timeouts
    save_fingerprint_rules(project, TIMEOUTS, actor=alice, reason="r", now=timezone.now())
    push(project, redis_client, [crash("charge", exc_type="TimeoutError")])
    assert preview_rules(project, TIMEOUTS, timezone.now()).changes == []
    back = preview_rules(project, "", timezone.now())
    rule_group = ErrorEvent.objects.latest("id").group
    [change] = back.changes
    assert (change.group.id, change.moving, change.sampled) == (rule_group.id, 1, 1)
    [(destination, _)] = change.destinations
    assert destination.group.id == charge.id and destination.rule == ""  # the default grouping finds charge again


def test_a_rule_that_keeps_the_default_grouping_changes_no_group(project, timeouts):
    preview = preview_rules(project, "error.type:TimeoutError -> {{ default }}", timezone.now())
    assert preview.changes == [] and preview.rule_matches[0][1] == 5


def test_preview_refuses_bad_rules_with_the_line(project):
    with pytest.raises(ValueError, match="line 2"):
        preview_rules(project, "# fine\nnot a rule", timezone.now())
