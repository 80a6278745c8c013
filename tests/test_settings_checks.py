"""Settings come from the environment, fail loudly on bad values, and default to safe ones."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from triage.checks import settings_check


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.env_bool("X_FLAG")


def test_env_int_rejects_below_minimum(monkeypatch):
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.env_int("X_INT", 5, minimum=1)


def test_no_secret_outside_debug_is_refused(monkeypatch):
    monkeypatch.delenv("SOME_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET"):
        env.env_secret("SOME_SECRET", debug=False)


def test_production_defaults_are_safe():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "s",
             "REDIS_URL": "redis://127.0.0.1:6379/0", "HOME": "/tmp"},
    )
    assert out.stdout.split() == ["False", "[]", "True"]


def test_system_check_reports_bad_tunables(settings):
    settings.SWITCHYARD = {**settings.SWITCHYARD, "BATCH_SIZE": 0}
    assert "triage.E002" in [e.id for e in settings_check(None)]
