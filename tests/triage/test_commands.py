"""Triage's management commands: create_project, seed_demo."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects.models import Project

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_project_prints_a_working_dsn(alice):
    output = run("create_project", "Checkout API", "--member", "alice")
    project = Project.objects.get(name="Checkout API")
    dsn = output.strip().splitlines()[-1]
    assert re.fullmatch(rf"https?://[0-9a-f]{{32}}@[^/]+/{project.id}", dsn)
    assert dsn.split("//")[1].split("@")[0] == project.keys.get().public_key
    assert list(project.members.all()) == [alice]


def test_create_project_refuses_unknown_members():
    with pytest.raises(CommandError, match="no such user: nobody"):
        run("create_project", "x", "--member", "nobody")


def test_seed_demo_is_idempotent():
    run("seed_demo", "--password", "demo-pass-123")
    run("seed_demo", "--password", "other")
    assert Project.objects.filter(slug="demo").count() == 1
    from django.contrib.auth import authenticate

    assert authenticate(username="admin", password="demo-pass-123") is not None
