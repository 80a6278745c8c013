"""The fingerprint rules page: members preview, `projects.change_project` saves (POST, CSRF, a
reason), bad rules are a 400 that keeps the draft and says which line is wrong."""

import pytest
from django.test import Client

from tests.factories import grant
from tests.triage.helpers import crash, push
from triage.models import FingerprintRulesChange, ProjectFingerprintRules

pytestmark = pytest.mark.django_db

RULE = "error.type:TimeoutError -> timeouts"


@pytest.fixture
def url(project):
    return f"/projects/{project.id}/grouping/"


@pytest.fixture
def editor(alice):
    return grant(alice, "projects.change_project")


def test_members_see_the_rules_and_their_history(client, bob, url):
    client.force_login(bob)
    html = client.get(url).content.decode()
    assert "Fingerprint rules" in html and "No rules have been saved yet." in html
    assert 'value="save"' not in html  # bob may preview, not save


def test_outsiders_get_a_404(client, charlie, url):
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert client.post(url, {"rules": RULE, "action": "preview"}).status_code == 404


def test_a_member_previews_a_draft_without_saving_it(client, bob, url, project, redis_client):
    push(project, redis_client, [crash("charge", exc_type="TimeoutError"), crash("refund", exc_type="TimeoutError")])
    client.force_login(bob)
    response = client.post(url, {"rules": RULE, "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200 and "2 existing groups" in html and "would stop receiving" in html
    assert "draft, not saved" in html and "error.type:TimeoutError -&gt; timeouts" in html
    assert not ProjectFingerprintRules.objects.exists()


def test_saving_needs_the_permission_csrf_and_a_reason(client, bob, editor, url, project):
    client.force_login(bob)
    assert client.post(url, {"rules": RULE, "action": "save", "reason": "r"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(url, {"rules": RULE, "action": "save", "reason": "r"}).status_code == 403
    client.force_login(editor)
    response = client.post(url, {"rules": RULE, "action": "save", "reason": ""})
    assert response.status_code == 400 and "Say why the rules change" in response.content.decode()
    response = client.post(url, {"rules": RULE, "action": "save", "reason": "one group per timeout"}, follow=True)
    assert "Saved. Events digested from a few seconds from now" in response.content.decode()
    change = FingerprintRulesChange.objects.get()
    assert (change.actor, change.after, change.reason) == (editor, RULE, "one group per timeout")
    assert "one group per timeout" in client.get(url).content.decode()


@pytest.mark.parametrize("action", ["preview", "save"])
def test_bad_rules_are_a_400_that_keeps_the_draft(client, editor, url, action):
    client.force_login(editor)
    response = client.post(url, {"rules": "# ok\ncolour:red -> x", "action": action, "reason": "r"})
    html = response.content.decode()
    assert response.status_code == 400 and "line 2" in html and "unknown matcher" in html
    assert "colour:red -&gt; x" in html and not ProjectFingerprintRules.objects.exists()


def test_rules_and_reasons_are_shown_escaped(client, editor, url):
    client.force_login(editor)
    client.post(url, {"rules": 'message:"<script>" -> x', "action": "save", "reason": "<b>why</b>"})
    html = client.get(url).content.decode()
    assert "<script>" not in html and "&lt;b&gt;why&lt;/b&gt;" in html
