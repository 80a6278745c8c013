"""JSON parsing for the hot path: orjson first, the standard library for what orjson refuses.

orjson parses a 6 KB event in ~15 µs against the stdlib's ~74 µs, but it rejects integers
beyond 64 bits and NaN/Infinity, which some SDKs send and Sentry accepts; those fall back.
"""

import json

import orjson


def loads(raw: bytes | str):
    """Raises ValueError (as json.loads does) when neither parser accepts the input."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)
