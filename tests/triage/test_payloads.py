"""triage.payloads: any stored payload reads back as a dict a page or JSON response can carry."""

import json

import pytest

from triage.payloads import CUT, MAX_DEPTH, cut_nesting, read_payload


def depth_of(value) -> int:
    if isinstance(value, dict | list) and value:
        return 1 + max(depth_of(v) for v in (value.values() if isinstance(value, dict) else value))
    return 0


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000, 5000])  # orjson alone parses up to 1,024
def test_nesting_past_the_limit_is_cut_to_an_ellipsis(levels):
    payload = '{"keep": "me", "deep": ' + "[" * levels + "]" * levels + "}"
    event = read_payload(payload)
    assert event["keep"] == "me"
    assert depth_of(event) == MAX_DEPTH
    assert CUT in json.dumps(event, ensure_ascii=False)


def test_nesting_within_the_limit_is_kept_whole():
    event = {"a": {"b": [[{"c": 1}]]}, "empty": {}}
    assert read_payload(json.dumps(event)) == event


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (r'{"tags": {"t\ud800": "a\udfffb"}}', {"tags": {"t\ufffd": "a\ufffdb"}}),
        (r'{"emoji": "\ud83d\ude00", "text": "\\ud800"}', {"emoji": "\U0001f600", "text": "\\ud800"}),
        (r'{"x": "\ud800", "big": 123456789012345678901234567890}', {"x": "\ufffd", "big": 123456789012345678901234567890}),
    ],
)
def test_lone_surrogates_are_replaced_and_everything_else_kept(payload, expected):
    event = read_payload(payload)
    assert event == expected
    json.dumps(event, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("payload", ["", "not json", "[1, 2]", '{"a": ' + "[" * 3000, '"' + "[" * 3000])
def test_unreadable_payloads_read_as_empty(payload):
    assert read_payload(payload) == {}


def test_cut_nesting_never_counts_brackets_inside_strings():
    text = '{"s": "[[[{{\\"]]", "a": [[1]]}'
    assert cut_nesting(text, 2) == '{"s": "[[[{{\\"]]", "a": ["\\u2026"]}'
