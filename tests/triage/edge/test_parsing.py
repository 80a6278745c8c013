"""The pure parts of ingest: auth headers, decompression limits, envelope framing."""

import gzip
import json
import zlib

import brotli
import pytest

from triage.edge import parsing
from triage.edge.parsing import IngestError


def test_reads_public_key_from_sentry_auth_header():
    header = "Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_secret=s"
    assert parsing.public_key_from_auth_header(header) == "abc123"


def test_ignores_auth_header_of_another_scheme():
    assert parsing.public_key_from_auth_header("Bearer abc123") is None


def test_reads_public_key_from_query_and_dsn():
    assert parsing.public_key_from_query("sentry_key=k1&sentry_version=7") == "k1"
    assert parsing.public_key_from_dsn("https://k2@errors.example.com/prefix/42") == "k2"
    assert parsing.public_key_from_dsn(None) is None


@pytest.mark.parametrize(
    "encoding,compress",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some clients send it
        ("br", brotli.compress),
        ("", lambda b: b),
    ],
)
def test_decompresses_every_encoding_the_sdks_send(encoding, compress):
    body = b'{"hello": "world"}' * 100
    assert parsing.decompress(compress(body), encoding, 10_000) == body


@pytest.mark.parametrize("encoding,compress", [("gzip", gzip.compress), ("br", brotli.compress), ("deflate", zlib.compress)])
def test_refuses_decompression_bomb_with_413(encoding, compress):
    bomb = compress(b"\0" * 50_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(IngestError) as caught:
        parsing.decompress(bomb, encoding, 1_000_000)
    assert caught.value.status == 413


def test_refuses_corrupt_gzip_with_400():
    with pytest.raises(IngestError) as caught:
        parsing.decompress(b"\x1f\x8b not gzip at all", "gzip", 1000)
    assert caught.value.status == 400


def test_refuses_unknown_content_encoding_with_400():
    with pytest.raises(IngestError) as caught:
        parsing.decompress(b"x", "zstd-ish", 1000)
    assert caught.value.status == 400


def test_parses_items_with_and_without_length():
    body = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event","length":12}\n{"a":"b\\nc"}\n{"type":"attachment"}\nraw text\n'
    envelope = parsing.parse_envelope(body)
    assert envelope.header["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [(h["type"], p) for h, p in envelope.items] == [("event", b'{"a":"b\\nc"}'), ("attachment", b"raw text")]


def test_parses_envelope_without_final_newline_and_empty_header():
    envelope = parsing.parse_envelope(b'{}\n{"type":"event","length":2}\n{}')
    assert envelope.header == {}
    assert envelope.items == [({"type": "event", "length": 2}, b"{}")]


@pytest.mark.parametrize(
    "body",
    [
        b"not json\n",
        b"[1,2]\n",
        b'{}\n{"type":"event","length":500}\n{}',
        b'{}\n{"type": "event", "length": -1}\n{}',
        b"{}\nnot an item header\n{}",
    ],
)
def test_malformed_envelopes_are_refused_with_400(body):
    with pytest.raises(IngestError) as caught:
        parsing.parse_envelope(body)
    assert caught.value.status == 400


def test_event_id_falls_back_to_the_envelope_header_and_is_normalised():
    payload = json.dumps({"message": "hi"}).encode()
    message = parsing.event_message(1, payload, "9EC79C33-EC99-42AB-8353-589FCB2E04DC", 0.0, 10_000)
    assert message.event_id == "9ec79c33ec9942ab8353589fcb2e04dc"


def test_refuses_malformed_event_id_and_oversized_event():
    with pytest.raises(IngestError) as bad_id:
        parsing.event_message(1, b'{"event_id": "nope"}', None, 0.0, 10_000)
    with pytest.raises(IngestError) as too_big:
        parsing.event_message(1, b'{"message": "' + b"x" * 20_000 + b'"}', None, 0.0, 10_000)
    assert (bad_id.value.status, too_big.value.status) == (400, 413)


def test_unknown_item_types_are_dropped_not_refused():
    envelope = parsing.parse_envelope(b'{}\n{"type":"client_report"}\n{"discarded_events":[]}\n{"type":"brand-new-type"}\n{}\n')
    messages, event_id = parsing.envelope_messages(1, envelope, 0.0, 10_000)
    assert messages == [] and event_id is None


def test_rate_limit_header_uses_integer_seconds():
    assert parsing.rate_limit_header(["{switchyard}:stream:events"], 10) == "10:error;default:project:backlog"


def test_accepts_json_that_only_the_standard_library_parses():
    payload = b'{"extra": {"big": 123456789012345678901234567890, "ratio": NaN}}'
    message = parsing.event_message(1, payload, None, 0.0, 10_000)
    assert message.payload == payload
