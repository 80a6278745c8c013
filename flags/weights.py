"""Weighted variants: the users in a flag's rollout split across several variants by weight
(45/45/10), each user sticky in one variant.

A user's variant bucket (flags.evaluation.variant_bucket, a hash of the flag's salt and the
targeting key, independent of the rollout bucket) falls in one of the ranges of an
*allocation*: [[start, end, variant], …] covering the 10,000 buckets. LaunchDarkly and Unleash
lay the variants out as contiguous ranges in a fixed order, so changing one weight shifts every
range after it: 45/45/10 → 50/45/5 moves 10 % of users where 5 % must move. Here the allocation
is kept with the state and changed incrementally (`reallocate`): a variant that shrinks gives up
buckets from its end, a variant that grows takes only those freed buckets, and nobody else
moves. The users moved are exactly the total of the decreases, the least any scheme can move.
A first allocation is contiguous in the order the weights were given, as theirs are.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

BUCKETS = 10_000  # one bucket is 0.01 %, the weights' precision


class WeightsError(ValueError):
    pass


def validate_weights(weights: Any, variants: dict) -> dict[str, int | float]:
    """{variant: percent} with every name a variant, each 0-100 with at most two decimals, summing
    to 100; {} clears the weights. Raises WeightsError with a message."""
    if weights in (None, {}):
        return {}
    if not isinstance(weights, dict):
        raise WeightsError('weights must be an object {"variant": percent, …}')
    cleaned: dict[str, int | float] = {}
    total = Decimal(0)
    for name, value in weights.items():
        if name not in variants:
            raise WeightsError(f"weights: {name!r} is not one of the variants ({', '.join(variants)})")
        number = _percent(name, value)
        total += number
        cleaned[name] = int(number) if number == number.to_integral() else float(number)
    if total != 100:
        raise WeightsError(f"weights must add up to 100, not {total.normalize():f}")
    if sum(1 for v in cleaned.values() if v) < 2:
        raise WeightsError("weights split users across at least two variants (one variant for everyone is the default variant)")
    return cleaned


def _percent(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise WeightsError(f"weights: {name!r} must be a number from 0 to 100")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise WeightsError(f"weights: {name!r} must be a number from 0 to 100") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise WeightsError(f"weights: {name!r} must be a number from 0 to 100")
    if number != number.quantize(Decimal("0.01")):
        raise WeightsError(f"weights: {name!r} has at most two decimals (0.01 % steps)")
    return number


def bucket_counts(weights: dict) -> dict[str, int]:
    """Buckets per variant; exact, since weights have two decimals and add up to 100."""
    return {name: int(Decimal(str(value)) * BUCKETS / 100) for name, value in weights.items()}


def reallocate(allocation: list, weights: dict) -> list[list]:
    """The allocation for new weights that moves the fewest buckets from `allocation` (the current
    one, [] for none). Deterministic: the same inputs give the same ranges."""
    if not weights:
        return []
    wanted = bucket_counts(weights)
    if not allocation:
        return _merge(_take([[0, BUCKETS]], wanted, {name: 0 for name in wanted}))
    kept: list[list] = []
    held = {name: 0 for name in wanted}
    by_variant: dict[str, list[list]] = {}
    for start, end, variant in sorted(allocation):
        by_variant.setdefault(variant, []).append([start, end])
    for variant, ranges in by_variant.items():
        keep = wanted.get(variant, 0)
        for start, end in ranges:  # lowest buckets first: a shrinking variant gives up its end
            size = min(end - start, keep)
            if size > 0:
                kept.append([start, start + size, variant])
                held[variant] += size
                keep -= size
    free = _gaps(kept)
    return _merge(kept + _take(free, wanted, held))


def _gaps(kept: list[list]) -> list[list[int]]:
    gaps, cursor = [], 0
    for start, end, _ in sorted(kept):
        if start > cursor:
            gaps.append([cursor, start])
        cursor = max(cursor, end)
    if cursor < BUCKETS:
        gaps.append([cursor, BUCKETS])
    return gaps


def _take(free: list[list[int]], wanted: dict[str, int], held: dict[str, int]) -> list[list]:
    """Hands the free ranges, lowest first, to the variants that need more, in weight order."""
    given, queue = [], [list(r) for r in free]
    for variant, count in wanted.items():
        need = count - held.get(variant, 0)
        while need > 0 and queue:
            start, end = queue[0]
            size = min(end - start, need)
            given.append([start, start + size, variant])
            need -= size
            if start + size == end:
                queue.pop(0)
            else:
                queue[0][0] = start + size
    return given


def _merge(ranges: list[list]) -> list[list]:
    merged: list[list] = []
    for start, end, variant in sorted(ranges):
        if end <= start:
            continue
        if merged and merged[-1][1] == start and merged[-1][2] == variant:
            merged[-1][1] = end
        else:
            merged.append([start, end, variant])
    return merged


def moved_share(before: list, after: list) -> float:
    """The share of buckets whose variant differs between two allocations (for tests and pages)."""
    def owner(allocation):
        table = [None] * BUCKETS
        for start, end, variant in allocation:
            table[start:end] = [variant] * (end - start)
        return table

    old, new = owner(before), owner(after)
    return sum(a != b for a, b in zip(old, new, strict=True)) / BUCKETS
