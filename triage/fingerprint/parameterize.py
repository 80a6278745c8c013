"""Replace the variable parts of a message with placeholders, so ids and timestamps never split a group.

Follows the order of Sentry's parameterisation
(https://github.com/getsentry/sentry/blob/master/src/sentry/grouping/parameterization.py): the first
pattern that matches at a position wins, so an email is not also read as a hostname plus ints. The
patterns are our own. Two deliberate differences from Sentry: any URL scheme counts (``postgres://``
and ``redis://`` carry credentials and hosts just like ``https://``), and every quoted literal is
replaced, not only the value after ``=``, because a KeyError's ``'sku-7'`` is as variable as
``id='sku-7'``.
"""

from __future__ import annotations

import functools
import re

# Sentry's SDK cuts values at 1024 characters; other SDKs may not. Past this length a message is not
# going to group better, and the regex cost grows with it.
MAX_INPUT_CHARS = 2048
# Sentry keeps two lines: the first line is usually the message, the second often the first detail.
MAX_LINES = 2

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_HEX4 = r"[0-9a-fA-F]{1,4}"

# Ordered: earlier names win where two patterns could match the same text.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email", r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"),
    ("url", r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s'\"<>]*[^\s'\"<>.,;:)\]]"),
    (
        "hostname",
        r"\b(?:[A-Za-z0-9-]{1,63}\.)+(?i:com|net|org|io|dev|co|uk|de|fr|nl|eu|us|ca|au|jp|cn|ru|br|ch"
        r"|se|pl|info|biz|local|internal)\b",
    ),
    (
        "ip",
        rf"(?<![\w:.])(?:(?:{_HEX4}:){{7}}{_HEX4}|{_HEX4}(?::{_HEX4}){{0,6}}::(?:{_HEX4}(?::{_HEX4}){{0,6}})?"
        rf"|::{_HEX4}(?::{_HEX4}){{0,6}})(?![\w:])"
        r"|\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
    ),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("sha1", r"\b[0-9a-fA-F]{40}\b"),
    ("md5", r"\b[0-9a-fA-F]{32}\b"),
    (
        "date",
        # ISO 8601 / RFC 3339, with or without time, fraction and offset.
        r"\b\d{4}-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:Z\b|[+-][0-2]\d:?[0-5]\d)?)?"
        # RFC 822/1123: "Fri, 27 Nov 2026 18:15:46 GMT".
        rf"|\b(?:{_WEEKDAY},?\s+)?\d{{1,2}}\s+{_MONTH}\s+\d{{2,4}}(?:\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?"
        r"(?:\s+(?:[+-]\d{4}|GMT|UTC|UT|[ECMP][SD]T)\b)?"
        # ctime and US style: "Fri Nov 27 18:15:46 2026", "Nov 27, 2026".
        rf"|\b(?:{_WEEKDAY}\s+)?{_MONTH}\s+\d{{1,2}}(?:\s+\d{{2}}:\d{{2}}:\d{{2}})?,?\s+\d{{4}}\b"
        r"|\bdatetime\.datetime\([^)]{0,80}\)"
        # Kitchen times: "18:15", "6:15:02 pm"; not "line 3:4" nor a port ("host:8080").
        r"|(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:\s?[AaPp][Mm]\b)?(?![\d:])",
    ),
    ("duration", r"\b\d+(?:\.\d+)?(?:ms|us|µs|ns|s|min|h)\b"),
    (
        "hex",
        # A 0x prefix is proof enough; without it, insist on 8+ characters mixing digits and letters
        # in one case, so words ("deadline") and plain numbers stay what they are.
        r"\b0[xX][0-9a-fA-F]+\b"
        r"|\b(?=[0-9]*[a-f])(?=[a-f]*[0-9])[0-9a-f]{8,128}\b"
        r"|\b(?=[0-9]*[A-F])(?=[A-F]*[0-9])[0-9A-F]{8,128}\b",
    ),
    ("float", r"(?:(?<![\w.-])-)?\b\d+\.\d+(?:[eE][+-]?\d+)?\b"),
    # A dash is a minus sign only when it does not join two words: "ord-17" keeps its dash.
    ("int", r"(?:(?<![\w.-])-)?\b\d+\b"),
    ("quoted_str", r"(?<!\w)'[^'\n]{0,200}'(?!\w)|(?<!\w)\"[^\"\n]{0,200}\"(?!\w)"),
    ("bool", r"(?<==)(?:True|False|true|false)\b"),
)

_PLACEHOLDERS = {name: f"<{name}>" for name, _ in _PATTERNS}
_DIGIT = re.compile(r"\d")
# Hints: what a pattern cannot match without. A message lacking a pattern's hint skips the
# pattern (``_needed``, in _PATTERNS order). Dropping an alternative that matches nowhere in the
# text changes no match of the others, so the result is the same as with all of them, at a
# fraction of the cost: the one combined pattern took 15-40 µs per message, as much as all the rest
# of fingerprinting an event (a test compares both on every captured payload).
_ISO_DATE_HINT = re.compile(r"\d{4}-[01]\d-")
_TIME_HINT = re.compile(r"\d:[0-5]\d")
_MONTH_HINT = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec")
_HEX_HINT = re.compile(r"[0-9a-fA-F]{8}")
_DIGEST_HINT = re.compile(r"[0-9a-fA-F]{32}")
_DURATION_HINT = re.compile(r"\d(?:ms|us|µs|ns|s|min|h)\b")
_FLOAT_HINT = re.compile(r"\d\.\d")


def _needed(text: str) -> tuple[bool, ...]:
    digit = _DIGIT.search(text) is not None
    dots, colons = text.count("."), text.count(":")
    digest = len(text) >= 32 and _DIGEST_HINT.search(text) is not None
    date = "datetime.datetime(" in text or (
        digit
        and (
            ("-" in text and _ISO_DATE_HINT.search(text) is not None)
            or (colons > 0 and _TIME_HINT.search(text) is not None)
            or _MONTH_HINT.search(text) is not None
        )
    )
    return (
        "@" in text,  # email
        "://" in text,  # url
        dots > 0,  # hostname
        dots >= 3 or colons >= 7 or "::" in text,  # ip
        text.count("-") >= 4,  # uuid
        digest and len(text) >= 40,  # sha1
        digest,  # md5
        date,  # date
        digit and _DURATION_HINT.search(text) is not None,  # duration
        digit and ("0x" in text or "0X" in text or _HEX_HINT.search(text) is not None),  # hex
        digit and dots > 0 and _FLOAT_HINT.search(text) is not None,  # float
        digit,  # int
        "'" in text or '"' in text,  # quoted_str
        "=" in text,  # bool
    )


@functools.lru_cache(maxsize=256)
def _combined(needed: tuple[bool, ...]) -> re.Pattern[str] | None:
    chosen = [(name, pattern) for (name, pattern), keep in zip(_PATTERNS, needed, strict=True) if keep]
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in chosen)) if chosen else None


_COMBINED = _combined((True,) * len(_PATTERNS))


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDERS[match.lastgroup or ""]


def _first_lines(message: str) -> str:
    if "\n" not in message:
        return message.strip()
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    kept = "\n".join(lines[:MAX_LINES])
    return kept + "..." if len(lines) > MAX_LINES else kept


def parameterize(message: str) -> str:
    """Return ``message`` with variable parts replaced by ``<email>``, ``<url>``, ``<int>``, ….

    Keeps the first two non-empty lines (appending ``...`` if more were cut) and at most
    ``MAX_INPUT_CHARS`` characters. Never raises; a non-string yields ``""``.
    """
    if not isinstance(message, str) or not message:
        return ""
    text = _first_lines(message[:MAX_INPUT_CHARS])
    combined = _combined(_needed(text))
    return combined.sub(_placeholder, text) if combined is not None else text
