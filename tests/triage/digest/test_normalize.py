"""The text the pipeline stores: NUL and lone surrogates never reach PostgreSQL."""

import json

import pytest

from triage.digest.normalize import clean, clean_json, clean_payload


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\x00b", "ab"),
        ("a\ud800b", "a\ufffdb"),
        ("\udfff", "\ufffd"),
        ("caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600"),  # real non-ASCII text is kept
        ("\x00\ud83d\x00", "\ufffd"),
    ],
)
def test_clean_drops_nul_and_replaces_lone_surrogates(text, expected):
    assert clean(text) == expected
    clean(expected).encode("utf-8")  # storable


def test_clean_returns_clean_text_itself():
    text = "ValueError: bad price \u00e9"
    assert clean(text) is text


def test_clean_json_cleans_keys_and_nested_strings():
    value = {"t\ud800": ["x\x00", {"k": "\udc00"}, 3, None, True]}
    assert clean_json(value) == {"t\ufffd": ["x", {"k": "\ufffd"}, 3, None, True]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r'{"a": "\ud800"}', r'{"a": "\ufffd"}'),
        (r'{"a": "\uDBFFx\uDC00"}', r'{"a": "\ufffdx\ufffd"}'),  # a low surrogate after text is lone too
        (r'{"a": "\ud83d\ude00"}', r'{"a": "\ud83d\ude00"}'),  # a valid pair is an emoji
        (r'{"a": "\\ud800"}', r'{"a": "\\ud800"}'),  # an escaped backslash, then "ud800"
        (r'{"a": "\\\ud800"}', r'{"a": "\\\ufffd"}'),
        (r'{"a": "\u00e9\n\"\ud800\""}', r'{"a": "\u00e9\n\"\ufffd\""}'),
    ],
)
def test_clean_payload_replaces_only_lone_surrogate_escapes(raw, expected):
    cleaned = clean_payload(raw.encode())
    assert cleaned == expected
    json.dumps(json.loads(cleaned), ensure_ascii=False).encode("utf-8")  # parses to storable text


def test_clean_payload_replaces_invalid_utf8_and_raw_nul():
    assert clean_payload(b'{"a": "\xed\xa0\x80\x00"}') == '{"a": "\ufffd\ufffd\ufffd\ufffd"}'
