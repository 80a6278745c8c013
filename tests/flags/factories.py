"""Plain factory functions for flags tests (tests/factories.py covers projects, users and grants)."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from flags import changes, sdk_keys
from flags.compiler import compile_flag
from flags.models import Flag, FlagEnvironment
from flags.weights import reallocate


def make_flag(project, key: str = "new-checkout", owner=None, environments: dict | None = None, **fields) -> Flag:
    """A flag created through flags.changes (so with its audit row), enabled in production at
    100 % unless `environments` says otherwise."""
    owner = owner or project.members.order_by("id").first()
    if environments is None:
        environments = {"production": {"enabled": True}}
    return changes.create_flag(project, key=key, owner=owner, actor=owner, source="command",
                               environments=environments, **fields)


def make_sdk_key(project, environment: str = "production", kind: str = "server") -> str:
    return sdk_keys.create_sdk_key(project, environment, kind=kind, source="command")[1]


def flag_config(key: str = "f", **state) -> dict:
    """A compiled flag configuration for evaluation unit tests, without the database."""
    variants = state.pop("variants", {"on": True, "off": False})
    off = state.pop("off_variant", "off")
    flag = Flag(key=key, name=key, kind=state.pop("kind", "release"), variants=variants, off_variant=off,
                value_type=state.pop("value_type", "boolean"), client_side=state.pop("client_side", False),
                salt=state.pop("salt", ""), prerequisites=state.pop("prerequisites", []))
    flag.owner = get_user_model()(username="alice")
    if state.get("weights") and "allocation" not in state:
        state["allocation"] = reallocate([], state["weights"])
    env = FlagEnvironment(environment="production", enabled=state.pop("enabled", True),
                          default_variant=state.pop("default_variant", "on"), **state)
    return compile_flag(flag, env, "production")


def admin_change_form(flag, **overrides) -> dict:
    """The POST of a flag's admin change page as it stands, with `overrides`."""
    states = list(flag.environments.all())
    data = {
        "name": flag.name, "description": flag.description, "kind": flag.kind, "owner": flag.owner_id,
        "variants": '{"on": true, "off": false}', "off_variant": "off", "team": flag.team, "ticket": "",
        "repository_path": "", "lifetime_days": "", "reason": "", "salt": flag.salt,
        "prerequisites": json.dumps(flag.prerequisites),
        "environments-TOTAL_FORMS": len(states), "environments-INITIAL_FORMS": len(states),
        "environments-MIN_NUM_FORMS": 0, "environments-MAX_NUM_FORMS": 1000,
        "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0, "changes-MIN_NUM_FORMS": 0, "changes-MAX_NUM_FORMS": 0,
    }
    for i, state in enumerate(states):
        data.update({
            f"environments-{i}-id": state.id, f"environments-{i}-flag": flag.id,
            f"environments-{i}-environment": state.environment, f"environments-{i}-default_variant": state.default_variant,
            f"environments-{i}-rollout_percentage": str(state.rollout_percentage), f"environments-{i}-rules": "[]",
            f"environments-{i}-allow_keys": "[]", f"environments-{i}-deny_keys": "[]",
        })
    data.update(overrides)
    return data
