"""System checks for flags."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from flags import checks
from flags.models import FlagEnvironment
from tests.flags.factories import make_flag


def test_default_configuration_passes():
    assert checks.conditions_check(None) == [] and checks.tunables_check(None) == []


def test_lifetimes_must_name_every_kind(tunables):
    tunables["FLAGS_LIFETIME_DAYS"] = {"release": 40}
    assert [e.id for e in checks.tunables_check(None)] == ["flags.E002"]


def test_positive_tunables_are_required(tunables):
    tunables["FLAGS_STATIC_DAYS"] = 0
    assert [e.id for e in checks.tunables_check(None)] == ["flags.E003"]


def test_stored_rule_with_an_unknown_condition_fails_the_database_check(project):
    flag = make_flag(project)
    FlagEnvironment.objects.filter(flag=flag, environment="production").update(
        rules=[{"conditions": [{"attribute": "plan", "op": "regex", "value": ".*"}], "variant": "on"}])
    problems = checks.stored_rules_check(None, databases=["default"])
    assert [p.id for p in problems] == ["flags.W001"] and "unknown condition 'regex'" in problems[0].msg
    with pytest.raises(SystemCheckError):
        call_command("check", "--database", "default", "--fail-level", "WARNING")


def test_database_check_is_silent_before_the_flags_tables_exist(monkeypatch):
    """`migrate` runs database checks first; on a fresh database they must not crash it."""
    from django.db import connections

    monkeypatch.setattr(connections["default"].introspection, "table_names", lambda *a, **k: [])
    assert checks.stored_rules_check(None, databases=["default"]) == []
