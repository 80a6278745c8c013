"""JSON parsing for the hot path: orjson first, the standard library for what orjson refuses.

orjson parses a 6 KB event in ~15 µs against the stdlib's ~74 µs, but it rejects integers
beyond 64 bits and NaN/Infinity, which some SDKs send and Sentry accepts; those fall back.
orjson also refuses nesting beyond 1,024 levels, where the standard library would raise
RecursionError: that is malformed input like any other, so it is a ValueError here.
"""

import json

import orjson


def loads(raw: bytes | str):
    """Raises ValueError (as json.loads does) when neither parser accepts the input."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise ValueError("JSON nested too deeply") from None
        try:
            return json.loads(raw)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
