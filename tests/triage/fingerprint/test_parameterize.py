"""parameterize(): variable parts of messages become placeholders; the words around them stay."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from triage.fingerprint import parameterize

# The module, not the function the package exports under the same name.
parameterization = importlib.import_module("triage.fingerprint.parameterize")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("mail to ann.lee+shop@example.co.uk bounced", "mail to <email> bounced"),
        ("GET https://api.example.com/v1/orders/17?x=1 failed.", "GET <url> failed."),
        ("cannot reach postgres://app:secret@db:5432/shop", "cannot reach <url>"),
        ("resolving db-1.prod.example.com failed", "resolving <hostname> failed"),
        ("connect to 10.0.3.7 refused", "connect to <ip> refused"),
        ("bind [2001:db8::1] and fe80::1 and ::1", "bind [<ip>] and <ip> and <ip>"),
        ("user 6fa645cb-604c-443a-9608-e94934223edf not found", "user <uuid> not found"),
        ("commit da39a3ee5e6b4b0d3255bfef95601890afd80709 missing", "commit <sha1> missing"),
        ("etag d41d8cd98f00b204e9800998ecf8427e stale", "etag <md5> stale"),
        ("expired at 2026-11-27T18:15:46.992706Z", "expired at <date>"),
        ("expired at 2026-11-27 18:15:46+00:00", "expired at <date>"),
        ("report for 2026-11-27", "report for <date>"),
        ("sent Fri, 27 Nov 2026 18:15:46 GMT", "sent <date>"),
        ("due Nov 27, 2026", "due <date>"),
        ("at datetime.datetime(2026, 11, 27, 18, 15)", "at <date>"),
        ("retry at 18:15 or 6:15 pm", "retry at <date> or <date>"),
        ("gateway timeout after 5000ms", "gateway timeout after <duration>"),
        ("slept 1.5s", "slept <duration>"),
        ("card 0xdeadbeef declined", "card <hex> declined"),
        ("session deadbeef42 expired", "session <hex> expired"),
        ("load 3.75 above limit", "load <float> above limit"),
        ("balance -12.5 below zero", "balance <float> below zero"),
        ("order ord-17 has -3 items", "order ord-<int> has <int> items"),
        ("snowflake 139855708275664 unknown", "snowflake <int> unknown"),
        ("KeyError 'sku-7'", "KeyError <quoted_str>"),
        ('field "email" is required', "field <quoted_str> is required"),
        ("flag enabled=true for user", "flag enabled=<bool> for user"),
    ],
)
def test_variable_part_becomes_its_placeholder(message, expected):
    assert parameterize(message) == expected


def test_the_sentry_protocol_example_value_is_parameterised_as_documented():
    value = "card 0xdeadbeef declined for order ord-1 (amount=150)"
    assert parameterize(value) == "card <hex> declined for order ord-<int> (amount=<int>)"


@pytest.mark.parametrize(
    "message",
    [
        "Failed to sync %s after %d retries",
        "can't reserve stock: don't retry",
        "deadline exceeded for v2 API",
        "Foo::bar() is not defined",
        "module json.decoder has no attribute x",
    ],
)
def test_plain_words_and_templates_stay_as_they_are(message):
    assert parameterize(message) == message


def test_messages_differing_only_in_ids_parameterise_to_the_same_text():
    first = (
        "could not deliver to ann@example.com (user 00000000-0000-0000-0000-000000000001) after 3 attempts"
    )
    second = (
        "could not deliver to bob@example.org (user d797924e-f4ca-4d88-8738-ab38a8cd0e6a) after 5 attempts"
    )
    assert parameterize(first) == parameterize(second)


def test_only_the_first_two_non_empty_lines_are_kept():
    assert parameterize("first line\n\n  second line 2\nthird\nfourth") == "first line\nsecond line <int>..."
    assert parameterize("one\ntwo\n") == "one\ntwo"


@pytest.mark.parametrize("value", [None, 17, b"bytes", ["x"], ""])
def test_non_strings_and_empty_input_give_an_empty_string(value):
    assert parameterize(value) == ""  # type: ignore[arg-type]


def test_huge_input_is_cut_before_matching():
    result = parameterize("id 17 " * 200_000)
    assert result.startswith("id <int> id <int>")
    assert len(result) < 5000  # placeholders are longer than "17", the input was cut at 2048


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _strings(item)]


def test_skipping_patterns_that_cannot_match_changes_no_result():
    """parameterize leaves out the patterns a message lacks the characters for (the speed-up);
    every string of every captured payload, and some made to tempt each pattern, come out as the
    one combined pattern of all of them makes them."""
    payloads = Path(__file__).resolve().parents[2] / "payloads"
    texts = {text for path in payloads.glob("*/*.json") for text in _strings(json.loads(path.read_text()))}
    pieces = ["2026-11-27", "18:15", "0xdeadbeef", "Nov 27, 2026", "a@b.com", "http://x.io/a", "10.0.0.1", "::1",
              "6fa645cb-604c-443a-9608-e94934223edf", "1.5s", "id=True", "'q'", "deadbeef12", "datetime.datetime(now)",
              "fe80::1", "Fri, 27 Nov 2026 18:15:46 GMT", "ord-17", "-3.5e7", "da39a3ee5e6b4b0d3255bfef95601890afd80709"]
    texts |= {f"{a} {b}" for a in pieces for b in pieces} | {a + b for a in pieces for b in pieces}
    for text in texts:
        everything = parameterization._COMBINED.sub(parameterization._placeholder, parameterization._first_lines(text[:2048]))
        assert parameterize(text) == (everything if text else ""), text
