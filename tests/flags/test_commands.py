"""Management commands: create_sdk_key and disable_flag."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from flags.models import FlagChange, FlagEnvironment
from tests.flags.factories import make_flag


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_create_sdk_key_prints_a_key_that_evaluates(project):
    make_flag(project)
    key = run("create_sdk_key", str(project.id), "production")
    answer = Client().post("/ofrep/v1/evaluate/flags/new-checkout", data="{}", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 200 and answer.json()["value"] is True
    created = FlagChange.objects.get(action="sdk_key_created")
    assert (created.source, created.environment, created.after["prefix"]) == ("command", "production", key[:12])


def test_create_sdk_key_refuses_an_unknown_project_and_a_bad_environment(project):
    with pytest.raises(CommandError, match="no such project"):
        run("create_sdk_key", "999999", "production")
    with pytest.raises(CommandError, match="invalid environment"):
        run("create_sdk_key", str(project.id), "prod env")


def test_disable_flag_command_is_audited_with_source_command(project):
    flag = make_flag(project)
    assert run("disable_flag", str(project.id), "new-checkout", "production", "--reason", "from the runbook") == \
        "disabled new-checkout in production"
    assert not FlagEnvironment.objects.get(flag=flag, environment="production").enabled
    change = FlagChange.objects.get(action="disabled")
    assert (change.source, change.actor, change.reason) == ("command", None, "from the runbook")
    assert "already off" in run("disable_flag", str(project.id), "new-checkout", "production", "--reason", "again")
