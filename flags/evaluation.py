"""Flag evaluation: a compiled flag configuration and an evaluation context in, a resolution out.

Pure functions: no request, no database, no Redis, no clock. The OFREP endpoints, the
in-process client (flags.client) and the tests all call `evaluate`.

Order of evaluation, first match wins:
1. disabled in this environment → the off variant, reason DISABLED;
2. a prerequisite (another flag of the environment, evaluated for the same context) does not
   serve one of the variants this flag requires of it → the off variant, reason DISABLED when
   the prerequisite is itself off (killed) and TARGETING_MATCH when it serves this context
   another variant; either way metadata `reasonKind: PREREQUISITE_FAILED` and
   `prerequisiteKey` (LaunchDarkly's reason, carried where OFREP allows: its reasons are
   STATIC, TARGETING_MATCH, SPLIT, DISABLED, UNKNOWN);
3. the targeting key is on the deny list → off variant; on the allow list → default variant
   (TARGETING_MATCH);
4. the first rule whose conditions all hold → its variant (TARGETING_MATCH); a condition may
   be membership of a segment;
5. the percentage rollout: 100 % → default variant, 0 % → off variant (STATIC when the flag
   has no targeting at all, else DEFAULT); in between, the targeting key's sticky bucket
   decides (SPLIT), and without a targeting key the answer is TARGETING_KEY_MISSING. With
   weights, the users in the rollout are split across the weighted variants by a second,
   independent bucket (SPLIT; flags.weights).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flags.conditions import holds, prepare_condition

STATIC = "STATIC"
TARGETING_MATCH = "TARGETING_MATCH"
SPLIT = "SPLIT"
DISABLED = "DISABLED"
DEFAULT = "DEFAULT"
ERROR = "ERROR"
PREREQUISITE_FAILED = "PREREQUISITE_FAILED"

TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
GENERAL = "GENERAL"
BUCKETS = 10_000  # basis points: rollouts move in 0.01 % steps
MAX_PREREQUISITE_DEPTH = 10  # saves refuse cycles; this only stops a configuration that has one anyway


@dataclass(frozen=True)
class Resolution:
    value: Any
    reason: str
    variant: str
    metadata: dict = field(default_factory=dict)
    error_code: str | None = None
    error_details: str = ""


def bucket(salt: str, targeting_key: str) -> int:
    """The targeting key's sticky rollout bucket for a flag, in [0, 10000).

    A stable hash of `salt:targetingKey`, so a user lands in the same bucket on every request,
    process and machine; a rollout of p basis points takes buckets [0, p), so growing it keeps
    everyone already in. The salt is the flag's own (its key for flags made before salts), so
    one user's buckets are independent across flags: the same 10 % of users are not in every
    experiment.
    """
    digest = hashlib.sha1(f"{salt}:{targeting_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def variant_bucket(salt: str, targeting_key: str) -> int:
    """The targeting key's bucket among a flag's weighted variants, in [0, 10000): independent of
    its rollout bucket, so the first 1 % of a rollout is not all in the first variant."""
    digest = hashlib.sha1(f"{salt}.variant:{targeting_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def prepare_flag(config: dict, segments: Mapping[str, dict] | None = None) -> dict:
    """The compiled (JSON) configuration with its targeting turned into fast runtime forms;
    `segments` are the environment's compiled segments, which segment conditions refer to."""
    prepared = dict(config)
    prepared["_rules"] = tuple(
        (tuple(prepare_condition(c, segments) for c in rule["conditions"]), rule["variant"], index)
        for index, rule in enumerate(config.get("rules", ()))
    )
    prepared["_allow"] = frozenset(config.get("allow", ()))
    prepared["_deny"] = frozenset(config.get("deny", ()))
    prepared["_prereqs"] = tuple((p["key"], frozenset(p["variants"])) for p in config.get("prereqs", ()))
    split = config.get("split") or ()
    prepared["_split"] = (tuple(r[0] for r in split), tuple(r[2] for r in split)) if split else None
    prepared["_targeted"] = bool(prepared["_rules"] or prepared["_allow"] or prepared["_deny"] or prepared["_prereqs"])
    return prepared


def evaluate(flag_config: dict, context: dict, flags: Mapping[str, dict] | None = None) -> Resolution:
    """Resolves one flag for one context.

    `flag_config` is one flag of a compiled environment (flags.compiler.compile_flag), prepared
    or not; `context` is the flat OFREP evaluation context (`targetingKey` plus attributes);
    `flags` is the environment's flags by key, needed only by a flag with prerequisites.
    Never raises for a valid configuration: a context the flag cannot be evaluated for comes
    back as a Resolution with `error_code` set and reason ERROR.
    """
    return _evaluate(flag_config, context, flags, ())


def _evaluate(flag_config: dict, context: dict, flags, chain: tuple) -> Resolution:
    flag = flag_config if "_rules" in flag_config else prepare_flag(flag_config)
    if flag.get("_broken"):
        return _error(flag, GENERAL, f"flag {flag['key']!r} has an invalid configuration")
    if not flag["enabled"]:
        return _resolved(flag, flag["off"], DISABLED)
    if flag["_prereqs"]:
        failed = _failed_prerequisite(flag, context, flags, chain + (flag["key"],))
        if failed is not None:
            return failed
    targeting_key = context.get("targetingKey")
    if targeting_key:
        if targeting_key in flag["_deny"]:
            return _resolved(flag, flag["off"], TARGETING_MATCH, match="deny")
        if targeting_key in flag["_allow"]:
            return _resolved(flag, flag["default"], TARGETING_MATCH, match="allow")
    for conditions, variant, index in flag["_rules"]:
        if all(holds(condition, context) for condition in conditions):
            return _resolved(flag, variant, TARGETING_MATCH, match="rule", ruleIndex=index)
    return _fallthrough(flag, targeting_key)


def _failed_prerequisite(flag: dict, context: dict, flags, chain: tuple) -> Resolution | None:
    """The resolution when a prerequisite fails for this context, None when all hold."""
    for key, variants in flag["_prereqs"]:
        if flags is None:
            return _error(flag, GENERAL, f"flag {flag['key']!r} has prerequisites: evaluate it with its environment")
        if key in chain or len(chain) > MAX_PREREQUISITE_DEPTH:
            return _error(flag, GENERAL, f"flag {flag['key']!r} has a prerequisite cycle through {key!r}")
        prerequisite = flags.get(key)
        if prerequisite is None:  # deleted meanwhile (deleting a required flag is refused)
            return _resolved(flag, flag["off"], DISABLED, reasonKind=PREREQUISITE_FAILED, prerequisiteKey=key)
        result = _evaluate(prerequisite, context, flags, chain)
        if result.error_code:
            return _error(flag, result.error_code, f"prerequisite {key!r}: {result.error_details}")
        if result.variant not in variants:
            reason = DISABLED if result.reason == DISABLED else TARGETING_MATCH
            return _resolved(flag, flag["off"], reason, reasonKind=PREREQUISITE_FAILED, prerequisiteKey=key)
    return None


def _fallthrough(flag: dict, targeting_key) -> Resolution:
    """Step 5: the rollout, and the weighted split of the users in it."""
    basis_points, split = flag["bp"], flag["_split"]
    if basis_points <= 0 or (basis_points >= BUCKETS and split is None):
        variant = flag["default"] if basis_points >= BUCKETS else flag["off"]
        return _resolved(flag, variant, DEFAULT if flag["_targeted"] else STATIC)
    if not targeting_key:
        how = "split across variants by weight" if split is not None else "rolled out to a percentage of users"
        return _error(flag, TARGETING_KEY_MISSING, f"flag {flag['key']!r} is {how}: send a targetingKey")
    salt = flag.get("salt") or flag["key"]
    extra = {}
    if basis_points < BUCKETS:
        slot = bucket(salt, targeting_key)
        if slot >= basis_points:
            return _resolved(flag, flag["off"], SPLIT, bucket=slot)
        extra["bucket"] = slot
    if split is None:
        return _resolved(flag, flag["default"], SPLIT, **extra)
    starts, variants = split
    slot = variant_bucket(salt, targeting_key)
    return _resolved(flag, variants[bisect.bisect_right(starts, slot) - 1], SPLIT, variantBucket=slot, **extra)


def _error(flag: dict, code: str, details: str) -> Resolution:
    return Resolution(None, ERROR, "", dict(flag["metadata"]), code, details)


def _resolved(flag: dict, variant: str, reason: str, **extra) -> Resolution:
    metadata = {**flag["metadata"], **extra} if extra else flag["metadata"]
    return Resolution(flag["variants"][variant], reason, variant, metadata)
