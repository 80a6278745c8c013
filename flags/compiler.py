"""Database rows → the compiled configuration of one environment (plain JSON-able data).

The compiled form is what Redis holds and what flags.evaluation evaluates: one dict per flag
with its variants, prerequisites, salt, its state in the environment (the weighted split as
bucket ranges) and the metadata every OFREP answer carries; and the project's segments, which
rules refer to by key.
Compiling reads two `values()` queries rather than model instances: for 50 flags that is
~1 ms instead of ~4 ms, and it sits on the click-to-visible path of every kill.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from flags.evaluation import BUCKETS

FLAG_COLUMNS = ["id", "key", "value_type", "variants", "off_variant", "client_side", "kind", "team", "salt", "prerequisites"]
STATE_COLUMNS = ["flag_id", "enabled", "default_variant", "rollout_percentage", "rules", "allow_keys", "deny_keys",
                 "weights", "allocation"]
SEGMENT_COLUMNS = ["key", "included", "excluded", "rules"]


def _compile(flag: dict, owner: str, state: dict | None, environment: str) -> dict:
    metadata = {"owner": owner, "kind": flag["kind"], "environment": environment}
    if flag["team"]:
        metadata["team"] = flag["team"]
    config = {
        "key": flag["key"],
        "type": flag["value_type"],
        "variants": flag["variants"],
        "off": flag["off_variant"],
        "client": flag["client_side"],
        "salt": flag["salt"] or flag["key"],
        "prereqs": flag["prerequisites"] or [],
        "metadata": metadata,
        "enabled": False,
        "default": flag["off_variant"],
        "bp": 0,
        "rules": [],
        "allow": [],
        "deny": [],
        "split": [],
    }
    if state is not None:
        config.update(
            enabled=state["enabled"],
            default=state["default_variant"],
            bp=int(state["rollout_percentage"] * BUCKETS / 100),
            rules=state["rules"],
            allow=state["allow_keys"],
            deny=state["deny_keys"],
            split=state["allocation"] if state["weights"] else [],
        )
    return config


def compile_flag(flag, state, environment: str) -> dict:
    """One flag (a Flag) in one environment; `state` is its FlagEnvironment or None (off there)."""
    row = {name: getattr(flag, name) for name in FLAG_COLUMNS}
    state_row = {name: getattr(state, name) for name in STATE_COLUMNS} if state is not None else None
    return _compile(row, flag.owner.get_username(), state_row, environment)


def compile_segments(project_id: int) -> dict:
    """{key: {"included", "excluded", "rules"}} for every segment of the project."""
    from flags.models import Segment

    return {row.pop("key"): row for row in Segment.objects.filter(project_id=project_id).values(*SEGMENT_COLUMNS)}


def compile_environment(project_id: int, environment: str) -> dict:
    """{"flags": {key: compiled flag}, "segments": {key: compiled segment}} for the project,
    read from the database."""
    from flags.models import Flag, FlagEnvironment

    owner_field = f"owner__{get_user_model().USERNAME_FIELD}"
    flags = Flag.objects.filter(project_id=project_id).values(*FLAG_COLUMNS, owner_field)
    states = {
        row["flag_id"]: row
        for row in FlagEnvironment.objects.filter(flag__project_id=project_id, environment=environment).values(*STATE_COLUMNS)
    }
    return {
        "flags": {row["key"]: _compile(row, row[owner_field], states.get(row["id"]), environment) for row in flags},
        "segments": compile_segments(project_id),
    }
