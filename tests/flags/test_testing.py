"""flags.testing: override_flag as a context manager, a decorator and a fixture."""

from django.test import Client

from flags import client
from flags.models import Flag, FlagChange
from flags.testing import override_flag
from tests.flags.factories import make_flag, make_sdk_key


def test_override_changes_in_process_evaluation_and_is_undone(project):
    assert client.flag_enabled(project.id, "new-checkout") is False
    with override_flag("new-checkout", True):
        assert client.flag_enabled(project.id, "new-checkout") is True
        with override_flag("new-checkout", False):
            assert client.flag_enabled(project.id, "new-checkout") is False
        assert client.flag_enabled(project.id, "new-checkout") is True
    assert client.flag_enabled(project.id, "new-checkout") is False


@override_flag("theme", "dark")
def test_override_works_as_a_decorator(project):
    assert client.flag_value(project.id, "theme", "light") == "dark"


def test_override_with_a_project_creates_a_real_flag_seen_over_ofrep(project, alice):
    key = make_sdk_key(project)
    with override_flag("new-checkout", True, project=project, owner=alice):
        flag = Flag.objects.get(project=project, key="new-checkout")
        assert flag.environments.get(environment="production").enabled
        answer = Client().post("/ofrep/v1/evaluate/flags/new-checkout", data="{}", content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {key}").json()
        assert answer["value"] is True
    assert not Flag.objects.filter(project=project, key="new-checkout").exists()
    assert not FlagChange.objects.filter(flag_key="new-checkout").exists()  # scaffolding, not a change


def test_override_of_an_existing_flag_restores_it(project):
    make_flag(project, "new-checkout", environments={"production": {"enabled": True, "rollout_percentage": 30}})
    with override_flag("new-checkout", False, project=project):
        state = Flag.objects.get(key="new-checkout").environments.get(environment="production")
        assert (state.enabled, state.default_variant, state.rollout_percentage) == (True, "off", 100)
    state = Flag.objects.get(key="new-checkout").environments.get(environment="production")
    assert (state.default_variant, state.rollout_percentage) == ("on", 30)


def test_fixture_overrides_until_the_end_of_the_test(project, flag_override):
    flag_override("limit", 25)
    assert client.flag_value(project.id, "limit", 10) == 25


def test_fixture_override_is_gone_in_the_next_test(project):
    assert client.flag_value(project.id, "limit", 10) == 10


def test_in_process_client_evaluates_real_flags(project):
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    assert client.flag_value(project.id, "dark-mode", "fallback") == "fallback"  # needs a targeting key
    assert client.flag_value(project.id, "dark-mode", None, context={"targetingKey": "u1"}) in (True, False)
    assert client.flag_value(project.id, "missing", "fallback") == "fallback"
