"""django-waffle's API for Django apps beside Switchyard: flag_is_active(request, key) and the
{% flag %} template tag, reading the same Redis-cached configuration as OFREP (flags.client)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from flags import changes
from flags.client import flag_is_active, request_context
from flags.evaluation import bucket
from flags.testing import override_flag
from tests.flags.factories import make_flag


@pytest.fixture
def waffle_settings(tunables, project):
    tunables["FLAGS_DJANGO_PROJECT"] = project.slug
    return tunables


def request_for(user=None, session_key=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore(session_key=session_key)
    return request


def test_a_users_pk_is_the_targeting_key_and_waffles_attributes_come_along(alice):
    context = request_context(request_for(alice))
    assert context == {"targetingKey": str(alice.pk), "username": "alice", "authenticated": True, "is_staff": False,
                       "is_superuser": False, "email": "alice@example.com"}
    assert request_context(request_for()) == {"authenticated": False}


def test_flag_is_active_follows_targeting_and_a_kill(waffle_settings, project, alice, bob,
                                                     django_capture_on_commit_callbacks):
    staff_only = [{"conditions": [{"attribute": "username", "op": "equals", "value": "alice"}], "variant": "on"}]
    flag = make_flag(project, "new-checkout", environments={"production": {"enabled": True, "rollout_percentage": 0,
                                                                           "rules": staff_only}})
    assert flag_is_active(request_for(alice), "new-checkout") is True
    assert flag_is_active(request_for(bob), "new-checkout") is False
    assert flag_is_active(request_for(alice), "no-such-flag") is False

    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(flag, "production", actor=alice, reason="errors", source="dashboard")
    assert flag_is_active(request_for(alice), "new-checkout") is False


def test_one_request_sees_one_answer_per_flag(waffle_settings, project, alice, django_capture_on_commit_callbacks):
    flag = make_flag(project, "new-checkout")
    request = request_for(alice)
    assert flag_is_active(request, "new-checkout") is True
    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(flag, "production", actor=alice, reason="errors", source="dashboard")
    assert flag_is_active(request, "new-checkout") is True  # the page in flight stays consistent
    assert flag_is_active(request_for(alice), "new-checkout") is False


def test_a_percentage_buckets_users_by_pk_and_anonymous_visitors_by_session(waffle_settings, project, alice):
    flag = make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    salt = flag.salt or flag.key
    assert flag_is_active(request_for(alice), "dark-mode") is (bucket(salt, str(alice.pk)) < 5000)
    session = SessionStore()
    session.create()
    assert flag_is_active(request_for(session_key=session.session_key), "dark-mode") is (
        bucket(salt, session.session_key) < 5000)
    assert flag_is_active(request_for(), "dark-mode") is False  # no session: no targeting key for a split


def test_a_flag_of_another_type_is_active_when_it_serves_other_than_its_off_variant(waffle_settings, project, alice):
    make_flag(project, "theme", value_type="string", variants={"dark": "#111", "off": "#fff"})
    make_flag(project, "limits", value_type="number", variants={"high": 5, "off": 0},
              environments={"production": {"enabled": True, "rollout_percentage": Decimal(0)}})
    assert flag_is_active(request_for(alice), "theme") is True
    assert flag_is_active(request_for(alice), "limits") is False


def test_the_project_and_environment_come_from_settings_or_arguments(tunables, project, alice):
    make_flag(project, "new-checkout", environments={"staging": {"enabled": True}})
    with pytest.raises(LookupError, match="FLAGS_DJANGO_PROJECT"):
        flag_is_active(request_for(alice), "new-checkout")
    assert flag_is_active(request_for(alice), "new-checkout", project=project.id) is False
    assert flag_is_active(request_for(alice), "new-checkout", project=project.id, environment="staging") is True
    tunables.update(FLAGS_DJANGO_PROJECT=str(project.id), FLAGS_DJANGO_ENVIRONMENT="staging")
    assert flag_is_active(request_for(alice), "new-checkout") is True


def test_override_flag_applies_to_flag_is_active(waffle_settings, alice):
    with override_flag("new-checkout", True):
        assert flag_is_active(request_for(alice), "new-checkout") is True


def test_the_flag_template_tag_renders_the_branch_of_the_answer(waffle_settings, project, alice, bob):
    make_flag(project, "new-checkout", environments={"production": {"enabled": True, "rollout_percentage": 0,
              "allow_keys": [str(alice.pk)]}})
    template = Template('{% load switchyard_flags %}{% flag "new-checkout" %}new <b>{{ who }}</b>{% else %}old{% endflag %}')
    assert template.render(Context({"request": request_for(alice), "who": "<x>"})) == "new <b>&lt;x&gt;</b>"
    assert template.render(Context({"request": request_for(bob)})) == "old"
    assert template.render(Context({})) == "old"
    bare = Template('{% load switchyard_flags %}{% flag key %}on{% endflag %}')
    assert bare.render(Context({"request": request_for(alice), "key": "new-checkout"})) == "on"
