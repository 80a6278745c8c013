"""Test helpers for code that reads flags: `override_flag` and the `flag_override` fixture.

    with override_flag("new-checkout", True):          # in-process evaluation only
        assert flag_enabled(project.id, "new-checkout")

    @override_flag("new-checkout", True, project=project, owner=alice)
    def test_...():                                      # also a real row, enabled in production

With `project`, the flag row exists for the duration (created or temporarily changed), enabled
in `environment` and serving `value` to everyone, and the environment's configuration is
published to Redis, so pages, the OFREP endpoints and other processes see it. It writes no audit
rows (it is test scaffolding, not a change) and restores everything on exit. Use it, or the
fixture, rather than building flag rows by hand.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from decimal import Decimal
from typing import Any

from flags import cache, client

_MISSING = object()


def _variants_for(value: Any) -> tuple[str, dict, str]:
    """(value type, variants, variant serving `value`)."""
    if isinstance(value, bool):
        return "boolean", {"on": True, "off": False}, "on" if value else "off"
    if isinstance(value, int | float):
        return "number", {"override": value, "off": 0}, "off" if value == 0 else "override"
    if isinstance(value, str):
        return "string", {"override": value, "off": ""}, "off" if value == "" else "override"
    if isinstance(value, dict | list):
        return "json", {"override": value, "off": {}}, "off" if value == {} else "override"
    raise TypeError(f"override_flag cannot serve a {type(value).__name__}")


class override_flag(ContextDecorator):
    def __init__(self, name: str, value: Any, *, project=None, environment: str = "production", owner=None):
        self.name, self.value, self.project, self.environment, self.owner = name, value, project, environment, owner

    def __enter__(self):
        self._previous_override = client._overrides.get(self.name, _MISSING)
        client._overrides[self.name] = self.value
        if self.project is not None:
            self._saved = self._install_row()
        return self

    def __exit__(self, *exc_info):
        if self._previous_override is _MISSING:
            client._overrides.pop(self.name, None)
        else:
            client._overrides[self.name] = self._previous_override
        if self.project is not None:
            self._restore_row()
        return False

    def _install_row(self):
        from flags.models import Flag, FlagEnvironment

        value_type, variants, serving = _variants_for(self.value)
        flag = Flag.objects.filter(project=self.project, key=self.name).first()
        saved_flag = Flag.objects.get(pk=flag.pk) if flag else None
        if flag is None:
            owner = self.owner or self.project.members.first()
            if owner is None:
                raise ValueError("override_flag(project=...) needs owner= for a project without members")
            flag = Flag(project=self.project, key=self.name, name=self.name, owner=owner)
        flag.value_type, flag.variants, flag.off_variant = value_type, variants, "off"
        flag.save()
        state = FlagEnvironment.objects.filter(flag=flag, environment=self.environment).first()
        saved_state = FlagEnvironment.objects.get(pk=state.pk) if state else None
        state = state or FlagEnvironment(flag=flag, environment=self.environment)
        state.enabled, state.default_variant, state.rollout_percentage = True, serving, Decimal(100)
        state.rules, state.allow_keys, state.deny_keys = [], [], []
        state.save()
        self._publish()
        return flag, saved_flag, state, saved_state

    def _restore_row(self):
        flag, saved_flag, state, saved_state = self._saved
        if saved_flag is None:
            flag.delete()
        else:
            saved_flag.save()
            if saved_state is None:
                state.delete()
            else:
                saved_state.save()
        self._publish()

    def _publish(self):
        cache.publish(self.project.id, [self.environment], {"flag": self.name, "action": "override"})


try:
    import pytest
except ImportError:  # pragma: no cover - flags.testing is only imported by test suites
    pytest = None

if pytest is not None:

    @pytest.fixture
    def flag_override():
        """flag_override(name, value, **kwargs): an override_flag undone at the end of the test."""
        active: list[override_flag] = []

        def apply(name: str, value: Any, **kwargs) -> override_flag:
            override = override_flag(name, value, **kwargs)
            override.__enter__()
            active.append(override)
            return override

        yield apply
        for override in reversed(active):
            override.__exit__(None, None, None)
