"""Flag evaluation: a compiled flag configuration and an evaluation context in, a resolution out.

Pure functions: no request, no database, no Redis, no clock. The OFREP endpoints, the
in-process client (flags.client) and the tests all call `evaluate`.

Order of evaluation, first match wins:
1. disabled in this environment → the off variant, reason DISABLED;
2. the targeting key is on the deny list → off variant; on the allow list → default variant
   (TARGETING_MATCH);
3. the first rule whose conditions all hold → its variant (TARGETING_MATCH);
4. the percentage rollout: 100 % → default variant, 0 % → off variant (STATIC when the flag
   has no targeting at all, else DEFAULT); in between, the targeting key's sticky bucket
   decides (SPLIT), and without a targeting key the answer is TARGETING_KEY_MISSING.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from flags.conditions import holds, prepare_condition

STATIC = "STATIC"
TARGETING_MATCH = "TARGETING_MATCH"
SPLIT = "SPLIT"
DISABLED = "DISABLED"
DEFAULT = "DEFAULT"
ERROR = "ERROR"

TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
GENERAL = "GENERAL"
BUCKETS = 10_000  # basis points: rollouts move in 0.01 % steps


@dataclass(frozen=True)
class Resolution:
    value: Any
    reason: str
    variant: str
    metadata: dict = field(default_factory=dict)
    error_code: str | None = None
    error_details: str = ""


def bucket(flag_key: str, targeting_key: str) -> int:
    """The targeting key's sticky bucket for this flag, in [0, 10000).

    A stable hash of `flag:targetingKey`, so a user lands in the same bucket on every request,
    process and machine; a rollout of p basis points takes buckets [0, p), so growing it keeps
    everyone already in. Salting with the flag key keeps one user's buckets independent across
    flags (the same 10 % of users are not in every experiment).
    """
    digest = hashlib.sha1(f"{flag_key}:{targeting_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def prepare_flag(config: dict) -> dict:
    """The compiled (JSON) configuration with its targeting turned into fast runtime forms."""
    prepared = dict(config)
    prepared["_rules"] = tuple(
        (tuple(prepare_condition(c) for c in rule["conditions"]), rule["variant"], index)
        for index, rule in enumerate(config.get("rules", ()))
    )
    prepared["_allow"] = frozenset(config.get("allow", ()))
    prepared["_deny"] = frozenset(config.get("deny", ()))
    prepared["_targeted"] = bool(prepared["_rules"] or prepared["_allow"] or prepared["_deny"])
    return prepared


def evaluate(flag_config: dict, context: dict) -> Resolution:
    """Resolves one flag for one context.

    `flag_config` is one flag of a compiled environment (flags.compiler.compile_flag), prepared
    or not; `context` is the flat OFREP evaluation context (`targetingKey` plus attributes).
    Never raises for a valid configuration: a context the flag cannot be evaluated for comes
    back as a Resolution with `error_code` set and reason ERROR.
    """
    flag = flag_config if "_rules" in flag_config else prepare_flag(flag_config)
    if flag.get("_broken"):
        return Resolution(None, ERROR, "", dict(flag["metadata"]), GENERAL, f"flag {flag['key']!r} has an invalid configuration")
    if not flag["enabled"]:
        return _resolved(flag, flag["off"], DISABLED)
    targeting_key = context.get("targetingKey")
    if targeting_key:
        if targeting_key in flag["_deny"]:
            return _resolved(flag, flag["off"], TARGETING_MATCH, match="deny")
        if targeting_key in flag["_allow"]:
            return _resolved(flag, flag["default"], TARGETING_MATCH, match="allow")
    for conditions, variant, index in flag["_rules"]:
        if all(holds(condition, context) for condition in conditions):
            return _resolved(flag, variant, TARGETING_MATCH, match="rule", ruleIndex=index)
    basis_points = flag["bp"]
    if basis_points >= BUCKETS or basis_points <= 0:
        variant = flag["default"] if basis_points >= BUCKETS else flag["off"]
        return _resolved(flag, variant, DEFAULT if flag["_targeted"] else STATIC)
    if not targeting_key:
        return Resolution(
            None, ERROR, "", dict(flag["metadata"]), TARGETING_KEY_MISSING,
            f"flag {flag['key']!r} is rolled out to a percentage of users: send a targetingKey",
        )
    slot = bucket(flag["key"], targeting_key)
    return _resolved(flag, flag["default"] if slot < basis_points else flag["off"], SPLIT, bucket=slot)


def _resolved(flag: dict, variant: str, reason: str, **extra) -> Resolution:
    metadata = {**flag["metadata"], **extra} if extra else flag["metadata"]
    return Resolution(flag["variants"][variant], reason, variant, metadata)
