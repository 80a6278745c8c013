"""Comments on a group: @mentions of the project's members, who are emailed; text shown escaped."""

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import grant, make_user
from tests.triage.helpers import crash, push
from triage.alerts.deliver import attempt
from triage.comments import add_comment, mentioned, pieces
from triage.models import AlertDelivery, ErrorGroup, GroupComment

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [crash()])
    return ErrorGroup.objects.select_related("project").get(project=project)


@pytest.fixture
def queued(monkeypatch):
    from triage.tasks import deliver_alert

    ids: list[int] = []
    monkeypatch.setattr(deliver_alert, "delay", ids.append)
    return ids


def test_mentions_name_members_only_once_each_and_not_what_ends_a_sentence(alice, bob, charlie, project):
    members = list(project.members.all())
    text = "@bob, can you look? cc @Alice. @charlie is not in this project; mail@bob.example is not a mention; @bob again"
    assert [m.username for m in mentioned(text, members)] == ["bob", "alice"]


def test_two_members_told_apart_only_by_case_are_never_guessed(project):
    project.members.add(make_user("Ann"), make_user("ann"))
    members = list(project.members.all())
    assert [m.username for m in mentioned("@ann and @Ann", members)] == ["ann", "Ann"]
    assert mentioned("@ANN", members) == []


def test_a_comment_emails_the_mentioned_members_but_not_its_author(alice, bob, group, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = add_comment(group, alice, "@bob this is the rounding bug from last week @alice", now=timezone.now())
    assert comment.mentions == ["bob", "alice"]
    [delivery] = AlertDelivery.objects.all()
    assert (delivery.target, delivery.trigger, delivery.details["group_id"]) == ("bob@example.com", "mention", group.id)
    assert queued == [delivery.id]
    attempt(delivery.id, final=False, now=timezone.now())
    [message] = mail.outbox
    assert message.subject == f"[Switchyard] alice mentioned you on {group.title}"
    assert "this is the rounding bug" in message.body and f"/groups/{group.id}/" in message.body


def test_empty_and_huge_comments_are_refused(alice, group):
    with pytest.raises(ValueError, match="needs some text"):
        add_comment(group, alice, "   ", now=timezone.now())
    with pytest.raises(ValueError, match="at most 10,000"):
        add_comment(group, alice, "x" * 10_001, now=timezone.now())
    assert not GroupComment.objects.exists()


def test_pieces_mark_the_mentions_made_when_posted(alice, bob, group):
    comment = add_comment(group, alice, "ping @bob. and @nobody", now=timezone.now())
    assert [(p.text, p.username) for p in pieces(comment)] == [("ping ", ""), ("@bob", "bob"), (". and @nobody", "")]


# --- The views ---------------------------------------------------------------------------------


def post(client, group, text):
    return client.post(f"/groups/{group.id}/comments/", {"text": text})


def test_a_member_with_the_permission_comments_and_it_is_shown_escaped(client, alice, bob, group, queued,
                                                                       django_capture_on_commit_callbacks):
    grant(alice, "triage.add_groupcomment")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, group, "<script>alert(1)</script> @bob see\nline two")
    assert response.status_code == 302 and response["Location"].endswith("#comments")
    body = client.get(f"/groups/{group.id}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert '<span class="mention" title="bob was told">@bob</span>' in body
    assert len(queued) == 1


def test_commenting_needs_the_permission_membership_a_post_and_csrf(client, alice, bob, charlie, group, other_project):
    client.force_login(bob)
    assert post(client, group, "hi").status_code == 403  # a member without add_groupcomment
    grant(charlie, "triage.add_groupcomment")
    client.force_login(charlie)
    assert post(client, group, "hi").status_code == 404  # not a member: the group does not exist for him
    grant(alice, "triage.add_groupcomment")
    client.force_login(alice)
    assert client.get(f"/groups/{group.id}/comments/").status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/groups/{group.id}/comments/", {"text": "hi"}).status_code == 403
    assert not GroupComment.objects.exists()


def test_an_author_deletes_their_own_comment_and_others_need_the_permission(client, alice, bob, group):
    grant(alice, "triage.add_groupcomment")
    comment = add_comment(group, alice, "mine", now=timezone.now())
    client.force_login(bob)
    assert client.post(f"/groups/{group.id}/comments/{comment.id}/delete/").status_code == 403
    client.force_login(alice)
    assert client.post(f"/groups/{group.id}/comments/{comment.id}/delete/").status_code == 302
    assert not GroupComment.objects.exists()
