"""System checks for flags: the condition registry, the tunables, and (with --database) the
targeting rules stored in the database."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register

from flags import conditions, conf
from flags.models import FlagKind


@register()
def conditions_check(app_configs, **kwargs):
    problems = []
    for name, condition in conditions.REGISTRY.items():
        if not all(callable(f) for f in (condition.validate, condition.prepare, condition.check)):
            problems.append(Error(f"flag condition {name!r} lacks a validate, prepare or check function", id="flags.E001"))
    return problems


@register()
def tunables_check(app_configs, **kwargs):
    problems = []
    lifetimes = conf.get("LIFETIME_DAYS")
    if not isinstance(lifetimes, dict) or set(lifetimes) != set(FlagKind.values):
        problems.append(Error(f"FLAGS_LIFETIME_DAYS must name every kind: {', '.join(FlagKind.values)}", id="flags.E002"))
    elif any(v is not None and (not isinstance(v, int) or v <= 0) for v in lifetimes.values()):
        problems.append(Error("FLAGS_LIFETIME_DAYS values must be positive integers or None", id="flags.E002"))
    for name in ("STATIC_DAYS", "UNEVALUATED_DAYS", "EXPOSURE_TTL_SECONDS", "MISS_TTL_SECONDS", "SSE_KEEPALIVE_SECONDS"):
        value = conf.get(name)
        if not isinstance(value, int) or value <= 0:
            problems.append(Error(f"FLAGS_{name} must be a positive integer", id="flags.E003"))
    if not conf.get("ENVIRONMENTS"):
        problems.append(Error("FLAGS_ENVIRONMENTS must name at least one environment", id="flags.E004"))
    return problems


@register(Tags.database)
def stored_rules_check(app_configs, **kwargs):
    """Every stored rule uses a known condition with a valid value (`manage.py check --database default`)."""
    from django.db import DatabaseError, connections

    from flags.models import FlagEnvironment
    from flags.validation import InvalidChange, validate_rules

    databases = kwargs.get("databases") or []
    if "default" not in databases:
        return []
    try:
        # `migrate` runs database checks before migrating: on a fresh database there is no table yet.
        if FlagEnvironment._meta.db_table not in connections["default"].introspection.table_names():
            return []
        states = list(FlagEnvironment.objects.select_related("flag"))
    except DatabaseError:
        return []
    problems = []
    for state in states:
        try:
            validate_rules(state.rules, state.flag.variants)
        except InvalidChange as exc:
            # A warning, not an error: `migrate` runs this check and must not be blocked by data;
            # evaluation already isolates the broken flag (it answers GENERAL, the others work).
            problems.append(Warning(f"flag {state.flag.key!r} in {state.environment}: {exc}", id="flags.W001"))
    return problems
