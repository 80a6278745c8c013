"""GET /api/0/groups/<id>/suspects/: the spike, the flags ranked with their evidence, and the
suggested assignee, for a group whose cause is known."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from projects.tokens import create_token
from tests.flags.factories import make_flag
from tests.triage.attribution.test_evidence import FLAGS, group, traffic
from tests.triage.helpers import push
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db


def suspects(client, group_id, token):
    return client.get(f"/api/0/groups/{group_id}/suspects/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_causal_flag_comes_first_with_its_numbers_and_its_owner_is_suggested(client, project, alice, bob, redis_client):
    for key in FLAGS:
        make_flag(project, key, owner=bob if key == "bad-checkout" else alice,
                  environments={"production": {"enabled": True, "rollout_percentage": 50}})
    push(project, redis_client, traffic(client, project, random.Random(7)))
    ErrorGroup.objects.filter(project=project).update(first_seen=timezone.now() - dt.timedelta(hours=2))
    body = suspects(client, group(project, "apply_discount").id, create_token(alice)).json()
    assert body["spike"]["spiking"] and body["spike"]["score"] > 3 and body["spike"]["began_at"]
    top = body["flags"][0]
    assert (top["key"], top["variant"], top["value"], top["environment"], top["significant"]) == (
        "bad-checkout", "on", "true", "production", True)
    assert top["p_value"] < 0.01 and 0 < top["affected_with"] <= top["exposed_with"]
    assert top["affected_without"] / top["exposed_without"] < top["affected_with"] / top["exposed_with"]
    assert [f["key"] for f in body["flags"] if f["significant"]] == ["bad-checkout"]
    assert body["suggested_assignee"] == {"username": "bob", "source": "flag_owner", "reason": body["suggested_assignee"]["reason"]}
    assert "bad-checkout" in body["suggested_assignee"]["reason"]


def test_another_projects_group_is_a_404(client, charlie, project, redis_client):
    from tests.triage.helpers import crash

    push(project, redis_client, [crash()])
    assert suspects(client, ErrorGroup.objects.get(project=project).id, create_token(charlie)).status_code == 404
