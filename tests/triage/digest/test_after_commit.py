"""The digest's after-commit hooks are robust: a failure in one (the database gone again, a broker
down) is logged and the committed batch stands, the transaction's exit raising nothing."""

import logging

import pytest
from django.db import transaction
from django.utils import timezone

from triage.attribution import assignment
from triage.digest import events
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db(transaction=True)


def fail(*args, **kwargs):
    raise RuntimeError("database unreachable")


def test_a_failing_alert_hook_is_logged_and_the_commit_stands(project, monkeypatch, caplog):
    monkeypatch.setattr(events.alerts, "notify_digested", fail)
    now = timezone.now()
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        group = ErrorGroup.objects.create(project=project, fingerprint="f" * 32, title="KeyError", first_seen=now, last_seen=now)
        events.alert_after_commit([group], [], now)
    assert ErrorGroup.objects.filter(id=group.id).exists()
    assert "database unreachable" in caplog.text


def test_a_failing_owner_suggestion_hook_is_logged_and_the_commit_stands(project, monkeypatch, caplog):
    monkeypatch.setattr(assignment, "_queue", fail)
    monkeypatch.setattr(assignment, "new_group_ids", lambda counted: {1, 2})
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        assignment.queue_suggestions([])
    assert "database unreachable" in caplog.text
