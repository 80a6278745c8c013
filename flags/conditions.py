"""The registry of named conditions that targeting rules are made of.

A rule is a list of conditions on evaluation-context attributes, all of which must hold:
`{"attribute": "plan", "op": "in", "value": ["pro", "team"]}`. Each operator is registered once
with three functions, so the API, the admin, the dashboard, the evaluator and the system checks
all use the same code:

- `validate(value)`: the operand as stored, normalised; raises ValueError with a message.
- `prepare(value)`: the stored operand turned into a fast runtime form (done when the
  configuration is compiled, never per evaluation).
- `check(attribute, prepared)`: does the context's attribute satisfy the condition? A missing
  attribute never does (the evaluator does not call `check` for it).

Segment conditions (`in_segment`, `not_in_segment`: `{"op": "in_segment", "value": ["beta"]}`)
name no attribute: they look at the whole context, and their operand is prepared from the
environment's compiled segments (flags.segments), not from the stored value alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Condition:
    name: str
    description: str
    validate: Callable[[Any], Any]
    prepare: Callable[[Any], Any]
    check: Callable[[Any, Any], bool]
    whole_context: bool = False  # check(context, prepared): a segment condition


REGISTRY: dict[str, Condition] = {}
SEGMENT_OPS = ("in_segment", "not_in_segment")


def register(name: str, description: str, validate: Callable, prepare: Callable | None = None,
             whole_context: bool = False):
    """Decorator for a check function: `@register("in", "...", validate=_scalars, prepare=...)`."""

    def decorator(check: Callable[[Any, Any], bool]):
        REGISTRY[name] = Condition(name, description, validate, prepare or (lambda v: v), check, whole_context)
        return check

    return decorator


def get(name: str) -> Condition:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown condition {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


# --- operand validators -------------------------------------------------------------------

def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scalar(value):
    if isinstance(value, str | bool) or _is_number(value):
        return value
    raise ValueError(f"expected a string, number or boolean, got {type(value).__name__}")


def _scalars(value):
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of strings, numbers or booleans")
    if len(value) > 10_000:
        raise ValueError("a list may hold at most 10000 values")
    return [_scalar(v) for v in value]


def _string(value):
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _number(value):
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            pass
    raise ValueError(f"expected a number, got {value!r}")


def _segment_keys(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError("expected a segment key or a list of segment keys")
    return list(dict.fromkeys(value))


def _semver(value):
    if not isinstance(value, str) or parse_semver(value) is None:
        raise ValueError(f"expected a semantic version such as 1.4.0, got {value!r}")
    return value


# --- runtime helpers ------------------------------------------------------------------------

def _tag(value) -> tuple:
    """Hashable identity where True is not 1 and "1" is not 1 (Python's == says otherwise)."""
    if isinstance(value, bool):
        return ("b", value)
    if _is_number(value):
        return ("n", value)
    return ("s", value)


def _tagged_set(values) -> frozenset:
    return frozenset(_tag(v) for v in values)


def _as_number(value) -> float | None:
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


@lru_cache(maxsize=4096)
def parse_semver(text: str) -> tuple | None:
    """A sortable key for a semantic version (semver.org §11), or None if it is not one.

    Accepts a leading `v` and a Sentry-style `package@` prefix (`shop@1.4.0`), so a rule on the
    release attribute works with the release names the error side sees. Build metadata is ignored.
    """
    if not isinstance(text, str):
        return None
    match = _SEMVER.match(text.rpartition("@")[2])
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        # A release sorts after all of its pre-releases.
        return (int(major), int(minor), int(patch), (1,))
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), (0, parts))


def _semver_prepare(value):
    return parse_semver(value)


def _semver_compare(attribute, prepared, test) -> bool:
    parsed = parse_semver(attribute) if isinstance(attribute, str) else None
    return parsed is not None and test(parsed, prepared)


# --- the conditions ---------------------------------------------------------------------------

@register("equals", "attribute equals the value", validate=_scalar, prepare=_tag)
def _equals(attribute, prepared) -> bool:
    return _tag(attribute) == prepared if isinstance(attribute, str | bool | int | float) else False


@register("not_equals", "attribute differs from the value", validate=_scalar, prepare=_tag)
def _not_equals(attribute, prepared) -> bool:
    return not _equals(attribute, prepared)


@register("in", "attribute is one of the values", validate=_scalars, prepare=_tagged_set)
def _in(attribute, prepared) -> bool:
    return isinstance(attribute, str | bool | int | float) and _tag(attribute) in prepared


@register("not_in", "attribute is none of the values", validate=_scalars, prepare=_tagged_set)
def _not_in(attribute, prepared) -> bool:
    return not _in(attribute, prepared)


@register("contains", "attribute (a string) contains the value", validate=_string)
def _contains(attribute, prepared) -> bool:
    return isinstance(attribute, str) and prepared in attribute


@register("starts_with", "attribute (a string) starts with the value", validate=_string)
def _starts_with(attribute, prepared) -> bool:
    return isinstance(attribute, str) and attribute.startswith(prepared)


@register("ends_with", "attribute (a string) ends with the value", validate=_string)
def _ends_with(attribute, prepared) -> bool:
    return isinstance(attribute, str) and attribute.endswith(prepared)


def _register_number(name: str, symbol: str, test: Callable[[float, float], bool]) -> None:
    def check(attribute, prepared) -> bool:
        number = _as_number(attribute)
        return number is not None and test(number, prepared)

    register(name, f"attribute (a number) {symbol} the value", validate=_number)(check)


def _register_semver(name: str, symbol: str, test: Callable[[tuple, tuple], bool]) -> None:
    def check(attribute, prepared) -> bool:
        return _semver_compare(attribute, prepared, test)

    register(name, f"attribute (a semantic version) {symbol} the value", validate=_semver, prepare=_semver_prepare)(check)


_COMPARISONS = [
    ("eq", "=", lambda a, b: a == b),
    ("gt", ">", lambda a, b: a > b),
    ("gte", "≥", lambda a, b: a >= b),
    ("lt", "<", lambda a, b: a < b),
    ("lte", "≤", lambda a, b: a <= b),
]
for _suffix, _symbol, _test in _COMPARISONS:
    _register_number(f"number_{_suffix}", _symbol, _test)
    _register_semver(f"semver_{_suffix}", _symbol, _test)


# --- segments: membership of a named group (flags.segments), the whole context at once ----------

def prepare_segment(segment: dict | None) -> tuple:
    """(included keys, excluded keys, rules) of a compiled segment; an unknown one holds nobody."""
    if segment is None:
        return frozenset(), frozenset(), ()
    rules = tuple(tuple(prepare_condition(c) for c in rule["conditions"]) for rule in segment.get("rules", ()))
    return frozenset(segment.get("included", ())), frozenset(segment.get("excluded", ())), rules


def in_segment(context: dict, prepared: tuple) -> bool:
    included, excluded, rules = prepared
    key = context.get("targetingKey")
    if key in excluded:
        return False
    if key in included:
        return True
    return any(all(holds(c, context) for c in rule) for rule in rules)


@register("in_segment", "the context is in any of the segments", validate=_segment_keys, whole_context=True)
def _in_segment(context, prepared) -> bool:
    return any(in_segment(context, segment) for segment in prepared)


@register("not_in_segment", "the context is in none of the segments", validate=_segment_keys, whole_context=True)
def _not_in_segment(context, prepared) -> bool:
    return not _in_segment(context, prepared)


def validate_condition(condition, *, segments_allowed: bool = True) -> dict:
    """A stored condition, normalised: {"attribute", "op", "value"} ({"op", "value"} for a
    segment condition); ValueError with a message."""
    if not isinstance(condition, dict):
        raise ValueError("a condition is an object with attribute, op and value")
    unknown = set(condition) - {"attribute", "op", "value"}
    if unknown:
        raise ValueError(f"unknown condition field(s): {', '.join(sorted(unknown))}")
    if condition.get("op") in SEGMENT_OPS:
        if not segments_allowed:
            raise ValueError("a segment's rules cannot refer to segments")
        try:
            return {"op": condition["op"], "value": _segment_keys(condition.get("value"))}
        except ValueError as exc:
            raise ValueError(f"{condition['op']}: {exc}") from None
    attribute = condition.get("attribute")
    if not isinstance(attribute, str) or not attribute or len(attribute) > 100:
        raise ValueError("a condition needs an attribute name (up to 100 characters)")
    op = get(condition.get("op", ""))
    try:
        value = op.validate(condition.get("value"))
    except ValueError as exc:
        raise ValueError(f"{attribute} {op.name}: {exc}") from None
    return {"attribute": attribute, "op": op.name, "value": value}


def prepare_condition(condition: dict, segments: dict | None = None) -> tuple[str, str, Any]:
    """(attribute, op name, prepared operand) for a validated condition: plain data, so a
    prepared configuration can be memoised and compared; `holds` finds the check by name.
    Segment conditions take their segments from `segments` (the environment's, compiled)."""
    op = get(condition["op"])
    if op.name in SEGMENT_OPS:
        keys = condition["value"] if isinstance(condition["value"], list) else [condition["value"]]
        return "", op.name, tuple(prepare_segment((segments or {}).get(key)) for key in keys)
    return condition["attribute"], op.name, op.prepare(condition["value"])


def holds(prepared_condition: tuple[str, str, Any], context: dict) -> bool:
    attribute, op, operand = prepared_condition
    condition = REGISTRY[op]
    if condition.whole_context:
        return condition.check(context, operand)
    if attribute not in context:
        return False
    return condition.check(context[attribute], operand)
