"""bench/generate_data.py: consistent fake data for the page benchmark (small sizes here)."""

import pytest
from django.db.models import Sum

from bench.generate_data import generate
from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupFlag,
    GroupMinuteCount,
    GroupRelease,
    ProjectFlag,
)

pytestmark = pytest.mark.django_db


def test_generates_groups_events_and_breakdowns_that_add_up(redis_client, client):
    project = generate(groups=30, events=600, days=3, releases=4, say=lambda text: None)
    groups = ErrorGroup.objects.filter(project=project)
    assert groups.count() == 30
    assert groups.aggregate(n=Sum("event_count"))["n"] == ErrorEvent.objects.filter(project=project).count() == 600
    for table in (GroupRelease, GroupMinuteCount):
        assert table.objects.filter(group__project=project).aggregate(n=Sum("count"))["n"] == 600
    assert GroupFlag.objects.filter(group__project=project, key="new-checkout").aggregate(n=Sum("count"))["n"] == 600
    assert ProjectFlag.objects.filter(project=project, key="dark-mode").aggregate(n=Sum("count"))["n"] == 600
    client.login(username="bench", password="bench-password")
    response = client.get("/groups/")
    assert response.status_code == 200 and response.context["rows"][0].spiking
