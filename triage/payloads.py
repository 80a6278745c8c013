"""Stored event payloads read back for people: the group page and the events API. Never raises.

Rows stored before issue 8 hold the SDK's JSON as it came, which can break every reader: nesting
deeper than Python's recursion limit (json.loads, json.dumps and the page code recurse once per
level; one 1,000-level event made its group answer 500 for everyone) and lone surrogate escapes
("\\ud800"), which parse to text no UTF-8 response can carry. New rows are cleaned at digest
(triage.digest.normalize) and depth-bounded at ingest; reading stays defensive for the old ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from triage.digest.normalize import clean_json_text

# The Python SDK cuts its data at 5 levels below fields that are themselves ~7 deep (frame
# variables); 32 keeps everything an SDK sends and is far below any recursion limit.
MAX_DEPTH = 32
CUT = "…"


def read_payload(text: str) -> dict:
    """The payload as a dict: arrays and objects deeper than MAX_DEPTH become "…", lone surrogates
    U+FFFD; {} when the text is not a JSON object."""
    try:
        value = orjson.loads(text)  # refuses lone surrogates, NaN and nesting past 1,024 levels
    except orjson.JSONDecodeError:
        value = _load_tolerantly(text)
    return _cut(value, MAX_DEPTH) if isinstance(value, dict) else {}


def _load_tolerantly(text: str) -> Any:
    """The rare payload orjson refuses: cut and cleaned as text first, because the standard
    library's parser (which also reads NaN and integers past 64 bits) recurses per level."""
    try:
        return json.loads(cut_nesting(clean_json_text(text), MAX_DEPTH))
    except (ValueError, RecursionError):  # RecursionError: the cut misread malformed text
        return None


def _cut(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        return {k: _cut(v, depth - 1) for k, v in value.items()} if depth > 0 or not value else CUT
    if isinstance(value, list):
        return [_cut(v, depth - 1) for v in value] if depth > 0 or not value else CUT
    return value


# A JSON string (escapes included) or one bracket: brackets inside strings are never counted.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


def cut_nesting(text: str, max_depth: int) -> str:
    """JSON text with every array or object nested deeper than max_depth replaced by "…".

    One pass over strings and brackets, no recursion; malformed text stays malformed.
    """
    pieces, depth, cut_from, kept_to = [], 0, -1, 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth == max_depth + 1:
                cut_from = token.start()
        elif bracket in ("]", "}"):
            if depth == max_depth + 1 and cut_from >= 0:
                pieces += [text[kept_to:cut_from], json.dumps(CUT)]
                kept_to, cut_from = token.end(), -1
            depth -= 1
    pieces.append(text[kept_to:])
    return "".join(pieces)
