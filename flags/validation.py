"""Validation of flag definitions and environment states, shared by the API, admin and dashboard.

Every function raises InvalidChange (a ValidationError and a ValueError) with a message a user
can act on, and returns the value normalised as it is stored.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from flags import conditions, weights

KEY_MAX_LENGTH = 200
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
KEY_RE = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT})*$")
# Path segments the dashboard and API use after a flag key (`…/flags/<key>/disable/`), so a
# key may not contain them as a whole segment.
RESERVED_SEGMENTS = {"new", "disable", "enable", "environments", "triggers", "edit", "delete", "schedules",
                     "approval-requests", "prerequisites"}
ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
VARIANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_VARIANTS = 20
MAX_RULES = 50
MAX_LIST_KEYS = 10_000
# A flag's state in one environment, in the order the audit log and the API show it.
STATE_FIELDS = ("enabled", "default_variant", "rollout_percentage", "weights", "rules", "allow_keys", "deny_keys", "guard")
MAX_PREREQUISITES = 10
GUARD_MODES = ("off", "dry_run", "enforce")  # flags.models.GuardMode


class InvalidChange(ValidationError, ValueError):
    """Bad input for a flag change. A ValidationError, so forms and the admin show it next to the
    field; a ValueError, the documented error of flags.changes for callers outside Django forms."""

    def __str__(self):
        return "; ".join(self.messages)


def validate_key(key: Any) -> str:
    """Letters, digits, `_ . -`, and `/` between segments (OFREP clients do not escape `/`)."""
    if not isinstance(key, str) or not key:
        raise InvalidChange("a flag key is required")
    if len(key) > KEY_MAX_LENGTH:
        raise InvalidChange(f"a flag key has at most {KEY_MAX_LENGTH} characters")
    if not KEY_RE.match(key):
        raise InvalidChange(
            f"invalid flag key {key!r}: use letters, digits, '_', '.', '-', and '/' between parts "
            "(each part starts with a letter or digit)"
        )
    reserved = RESERVED_SEGMENTS.intersection(key.split("/"))
    if reserved:
        raise InvalidChange(f"invalid flag key {key!r}: {sorted(reserved)[0]!r} is reserved as a key part")
    return key


def validate_environment(name: Any) -> str:
    if not isinstance(name, str) or not ENVIRONMENT_RE.match(name):
        raise InvalidChange(
            f"invalid environment {name!r}: up to 64 letters, digits, '_', '.', '-', starting with a letter or digit"
        )
    return name


def default_variants(value_type: str) -> tuple[dict, str, str]:
    """(variants, off variant, default variant) a new flag of this type starts with."""
    variants = {
        "boolean": {"on": True, "off": False},
        "string": {"on": "on", "off": "off"},
        "number": {"on": 1, "off": 0},
        "json": {"on": {"enabled": True}, "off": {}},
    }[value_type]
    return dict(variants), "off", "on"


def _value_matches(value_type: str, value: Any) -> bool:
    if value_type == "boolean":
        return isinstance(value, bool)
    if value_type == "string":
        return isinstance(value, str)
    if value_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, dict | list)


def validate_variants(value_type: str, variants: Any, off_variant: Any) -> dict:
    if value_type not in {"boolean", "string", "number", "json"}:
        raise InvalidChange(f"unknown value type {value_type!r} (boolean, string, number or json)")
    if not isinstance(variants, dict) or len(variants) < 2:
        raise InvalidChange("a flag needs at least two variants, as an object {name: value}")
    if len(variants) > MAX_VARIANTS:
        raise InvalidChange(f"a flag has at most {MAX_VARIANTS} variants")
    for name, value in variants.items():
        if not VARIANT_RE.match(name):
            raise InvalidChange(f"invalid variant name {name!r}: letters, digits, '_', '.', '-'")
        if not _value_matches(value_type, value):
            raise InvalidChange(f"variant {name!r} must be a {value_type} value, got {value!r}")
    if off_variant not in variants:
        raise InvalidChange(f"the off variant {off_variant!r} is not one of the variants")
    return variants


def validate_variant(name: Any, variants: dict, field: str = "variant") -> str:
    if name not in variants:
        raise InvalidChange(f"{field} {name!r} is not one of the variants ({', '.join(variants)})")
    return name


def validate_percentage(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise InvalidChange("rollout_percentage must be a number from 0 to 100")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidChange("rollout_percentage must be a number from 0 to 100") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise InvalidChange("rollout_percentage must be a number from 0 to 100")
    if number != number.quantize(Decimal("0.01")):
        raise InvalidChange("rollout_percentage has at most two decimals (0.01 % steps)")
    return number.quantize(Decimal("0.01"))


def validate_targeting_keys(keys: Any, field: str) -> list[str]:
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise InvalidChange(f"{field} must be a list of targeting keys (non-empty strings)")
    if len(keys) > MAX_LIST_KEYS:
        raise InvalidChange(f"{field} holds at most {MAX_LIST_KEYS} keys")
    return list(dict.fromkeys(keys))


def validate_weights(value: Any, variants: dict) -> dict:
    """{variant: percent} adding up to 100, or {} (no weighted split); string, number and JSON
    flags only: a boolean flag's split is its rollout percentage."""
    if value and variants and all(isinstance(v, bool) for v in variants.values()):
        raise InvalidChange("weights split string, number and JSON flags; a boolean flag's split is its rollout percentage")
    try:
        return weights.validate_weights(value, variants)
    except weights.WeightsError as exc:
        raise InvalidChange(str(exc)) from None


def segment_keys(rules: list[dict]) -> set[str]:
    """The segments a list of validated rules refers to."""
    return {key for rule in rules for c in rule["conditions"] if c["op"] in conditions.SEGMENT_OPS for key in c["value"]}


def validate_segment_key(key: Any) -> str:
    if not isinstance(key, str) or not VARIANT_RE.match(key):
        raise InvalidChange(f"invalid segment key {key!r}: up to 64 letters, digits, '_', '.', '-', starting with a letter or digit")
    return key


def validate_segment_rules(rules: Any) -> list[dict]:
    """A segment's rules: [{"conditions": [...]}, …], any one of which puts a context in."""
    if not isinstance(rules, list):
        raise InvalidChange("a segment's rules must be a list of {conditions: [...]}")
    if len(rules) > MAX_RULES:
        raise InvalidChange(f"at most {MAX_RULES} rules")
    cleaned = []
    for number, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or set(rule) - {"conditions", "name"}:
            raise InvalidChange(f"rule {number}: an object with conditions and an optional name")
        items = rule.get("conditions")
        if not isinstance(items, list) or not items:
            raise InvalidChange(f"rule {number}: needs a non-empty list of conditions")
        try:
            entry = {"conditions": [conditions.validate_condition(c, segments_allowed=False) for c in items]}
        except ValueError as exc:
            raise InvalidChange(f"rule {number}: {exc}") from None
        if rule.get("name"):
            entry["name"] = str(rule["name"])[:100]
        cleaned.append(entry)
    return cleaned


def validate_prerequisites(value: Any, own_key: str) -> list[dict]:
    """[{"key": flag key, "variants": [variant, …]}]: the shape only; flags.changes checks that
    the flags and variants exist and that no cycle forms."""
    if not isinstance(value, list):
        raise InvalidChange('prerequisites must be a list of {"key": flag key, "variants": [variant, …]}')
    if len(value) > MAX_PREREQUISITES:
        raise InvalidChange(f"a flag has at most {MAX_PREREQUISITES} prerequisites")
    cleaned, seen = [], set()
    for item in value:
        if not isinstance(item, dict) or set(item) != {"key", "variants"}:
            raise InvalidChange('each prerequisite is {"key": flag key, "variants": [variant, …]}')
        key, variants = item["key"], item["variants"]
        if not isinstance(key, str) or not key:
            raise InvalidChange("a prerequisite names a flag key")
        if key == own_key:
            raise InvalidChange(f"{own_key!r} cannot be its own prerequisite")
        if key in seen:
            raise InvalidChange(f"prerequisite {key!r} is listed twice")
        if isinstance(variants, str):
            variants = [variants]
        if not isinstance(variants, list) or not variants or not all(isinstance(v, str) for v in variants):
            raise InvalidChange(f"prerequisite {key!r}: variants is a non-empty list of variant names")
        seen.add(key)
        cleaned.append({"key": key, "variants": list(dict.fromkeys(variants))})
    return cleaned


def validate_rules(rules: Any, variants: dict) -> list[dict]:
    if not isinstance(rules, list):
        raise InvalidChange("rules must be a list of {conditions: [...], variant: ...}")
    if len(rules) > MAX_RULES:
        raise InvalidChange(f"at most {MAX_RULES} rules")
    cleaned = []
    for number, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or set(rule) - {"conditions", "variant", "name"}:
            raise InvalidChange(f"rule {number}: an object with conditions, variant and an optional name")
        items = rule.get("conditions")
        if not isinstance(items, list) or not items:
            raise InvalidChange(f"rule {number}: needs a non-empty list of conditions")
        try:
            checked = [conditions.validate_condition(c) for c in items]
        except ValueError as exc:
            raise InvalidChange(f"rule {number}: {exc}") from None
        variant = validate_variant(rule.get("variant"), variants, f"rule {number}: variant")
        entry = {"conditions": checked, "variant": variant}
        if rule.get("name"):
            entry["name"] = str(rule["name"])[:100]
        cleaned.append(entry)
    return cleaned


def validate_state(changes: Any, variants: dict) -> dict:
    """A partial environment state ({"enabled": …, "rules": …}) checked and normalised."""
    if not isinstance(changes, dict):
        raise InvalidChange("an environment state is an object")
    unknown = set(changes) - set(STATE_FIELDS)
    if unknown:
        raise InvalidChange(f"unknown state field(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(STATE_FIELDS))})")
    cleaned: dict[str, Any] = {}
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise InvalidChange("enabled must be true or false")
        cleaned["enabled"] = changes["enabled"]
    if "default_variant" in changes:
        cleaned["default_variant"] = validate_variant(changes["default_variant"], variants, "default_variant")
    if "rollout_percentage" in changes:
        cleaned["rollout_percentage"] = validate_percentage(changes["rollout_percentage"])
    if "weights" in changes:
        cleaned["weights"] = validate_weights(changes["weights"], variants)
    if "rules" in changes:
        cleaned["rules"] = validate_rules(changes["rules"], variants)
    for field in ("allow_keys", "deny_keys"):
        if field in changes:
            cleaned[field] = validate_targeting_keys(changes[field], field)
    if "guard" in changes:
        if changes["guard"] not in GUARD_MODES:
            raise InvalidChange(f"guard must be one of {', '.join(GUARD_MODES)}")
        cleaned["guard"] = changes["guard"]
    return cleaned


def message(error: Exception) -> str:
    """One line for an API answer or a flash message."""
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)
