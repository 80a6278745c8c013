"""Tags end to end with real parts: the real sentry-sdk → the live server → Redis → the Celery
worker's digest counts the tags → the group page's breakdowns and the API's tag search."""

import subprocess
import sys

import pytest

from projects.tokens import create_token
from tests.live import ROOT, wait_for
from triage.models import ErrorGroup, GroupTagValue
from triage.pages.tag_breakdowns import tag_breakdowns

pytestmark = [pytest.mark.integration]


def counts(group, key) -> dict[str, int]:
    return dict(GroupTagValue.objects.filter(group=group, key=key).values_list("value", "count"))


def test_the_worker_counts_the_sdks_tags_and_the_api_searches_them(live_stack, project, alice, client):
    dsn = project.keys.first().dsn(live_stack.url)
    subprocess.run([sys.executable, str(ROOT / "tests/apps/tagged_app.py"), dsn], check=True, timeout=60)
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project, event_count=4).first(), timeout=60, what="4 events")
    wait_for(lambda: sum(counts(group, "tenant").values()) == 4, what="the tag counts")
    assert counts(group, "tenant") == {"acme": 2, "globex": 2}
    assert counts(group, "user.segment") == {"paid": 3, "free": 1}
    assert counts(group, "server_name") == {"web-3": 4}
    assert counts(group, "browser") == {"Chrome 120": 4} and counts(group, "os.name") == {"Mac OS X": 4}
    assert counts(group, "url") == {"https://shop.example.com/checkout/": 4}
    segment = next(b for b in tag_breakdowns(group) if b.key == "user.segment")
    assert [(v.value, v.share) for v in segment.values] == [("paid", 0.75), ("free", 0.25)]

    token = create_token(alice)
    search = lambda query: client.get(f"/api/0/projects/{project.id}/groups/", {"query": query},  # noqa: E731
                                      headers={"Authorization": f"Bearer {token}"}).json()["results"]
    assert [g["id"] for g in search('user.segment:paid browser:"Chrome 120" release:latest')] == [group.id]
    assert search("tenant:initech") == [] and search("!has:tenant") == []
