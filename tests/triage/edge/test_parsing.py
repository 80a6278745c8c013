"""The pure parts of ingest: auth headers, decompression limits, envelope framing and limits."""

import gzip
import json
import tracemalloc
import zlib

import brotli
import pytest

from triage import stream
from triage.edge import parsing
from triage.edge.body import OverBudget
from triage.edge.errors import IngestError


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


def test_parses_items_with_and_without_length_keeping_only_events_logs_and_sessions():
    body = (b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"attachment","length":8}\nraw\ntext\n'
            b'{"type":"event","length":12}\n{"a":"b\\nc"}\n{"type":"client_report"}\nraw text\n{"type":"log"}\n{"items":[]}\n'
            b'{"type":"session"}\n{"sid":"s"}\n')
    envelope = parsing.parse_envelope(body)
    assert envelope.header["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [(h["type"], p) for h, p in envelope.items] == [
        ("event", b'{"a":"b\\nc"}'), ("log", b'{"items":[]}'), ("session", b'{"sid":"s"}')]
    assert envelope.dropped == 2


def test_parses_envelope_without_final_newline_and_empty_header():
    envelope = parsing.parse_envelope(b'{}\n{"type":"event","length":2}\n{}')
    assert envelope.header == {}
    assert envelope.items == [({"type": "event", "length": 2}, b"{}")]


OPTIONS = {"MAX_DECOMPRESSED_BYTES": 200_000_000, "MAX_EVENT_BYTES": 1_000_000}


def envelope_with(*items: tuple[dict, bytes]) -> bytes:
    lines = [b"{}"]
    for header, payload in items:
        lines += [json.dumps({**header, "length": len(payload)}).encode(), payload]
    return b"\n".join(lines) + b"\n"


def test_an_envelope_with_a_second_event_is_refused_as_relay_does():
    event = json.dumps({"message": "hi"}).encode()
    body = envelope_with(*[({"type": "event"}, event)] * 5000)
    with pytest.raises(IngestError) as caught:
        parsing.request_messages("envelope", 1, body, "", 0.0, OPTIONS)
    assert caught.value.status == 400 and "one event" in caught.value.detail


@pytest.mark.parametrize("levels", [300, 2_000, 10_000])
def test_json_nested_beyond_the_limit_is_bad_input(levels):
    payload = b'{"extra": ' + b"[" * levels + b"]" * levels + b"}"
    with pytest.raises(IngestError) as caught:
        parsing.request_messages("envelope", 1, envelope_with(({"type": "event"}, payload)), "", 0.0, OPTIONS)
    assert caught.value.status == 400


def test_ordinary_nesting_is_accepted():
    payload = b'{"extra": ' + b"[" * 50 + b"]" * 50 + b"}"
    messages, _ = parsing.request_messages("envelope", 1, envelope_with(({"type": "event"}, payload)), "", 0.0, OPTIONS)
    assert len(messages) == 1


def test_a_huge_attachment_is_read_past_without_being_held():
    """An event with a 60 MB attachment, gzipped: the event is kept, and reading the envelope
    holds a few buffers, never the attachment (tracemalloc counts every allocation)."""
    event = json.dumps({"message": "with a screenshot"}).encode()
    body = gzip.compress(envelope_with(({"type": "attachment"}, b"\0" * 60_000_000), ({"type": "event"}, event)), 1)
    tracemalloc.start()
    try:
        messages, _ = parsing.request_messages("envelope", 1, body, "gzip", 0.0, OPTIONS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [m.payload for _, m in messages] == [event]
    assert peak < 2_000_000


def test_a_small_budget_stops_inline_work_and_the_same_body_parses_without_it():
    body = gzip.compress(envelope_with(({"type": "attachment"}, b"\0" * 3_000_000), ({"type": "event"}, b"{}")))
    with pytest.raises(OverBudget):
        parsing.request_messages("envelope", 1, body, "gzip", 0.0, OPTIONS, budget=1_000_000)
    assert len(parsing.request_messages("envelope", 1, body, "gzip", 0.0, OPTIONS)[0]) == 1


def test_public_keys_that_cannot_be_dsn_keys_are_refused_before_any_lookup():
    assert parsing.well_formed_key("0123456789ABCDEF0123456789abcdef") == "0123456789abcdef0123456789abcdef"
    for key in ("short", "g" * 32, "a" * 33, "a" * 40_000_000):
        assert parsing.well_formed_key(key) is None
    assert parsing.public_key_from_dsn("https://" + "k" * 5000 + "@host/1") is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json\n",
        b"[1,2]\n",
        b'{}\n{"type":"event","length":500}\n{}',
        b'{}\n{"type": "event", "length": -1}\n{}',
        b'{}\n{"type": "event", "length": "2"}\n{}',
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


def test_rate_limit_header_uses_integer_seconds_and_names_scope_and_reason():
    refused = [parsing.Refusal("{switchyard}:stream:events", "organization", "quota_exceeded", 42),
               parsing.Refusal("{switchyard}:stream:logs", "project", "backlog", 10)]
    assert parsing.rate_limit_header(refused) == "10:log_item:project:backlog,42:error;default:organization:quota_exceeded"


def test_accepts_json_that_only_the_standard_library_parses():
    payload = b'{"extra": {"big": 123456789012345678901234567890, "ratio": NaN}}'
    message = parsing.event_message(1, payload, None, 0.0, 10_000)
    assert message.payload == payload


def test_session_items_go_to_the_sessions_stream_each_with_its_own_id():
    body = envelope_with(({"type": "session"}, b'{"sid": "a"}'), ({"type": "sessions"}, b'{"aggregates": []}'))
    messages, event_id = parsing.request_messages("envelope", 1, body, "", 0.0, OPTIONS)
    assert event_id is None
    assert [name for name, _ in messages] == [stream.SESSIONS, stream.SESSIONS]
    assert len({m.event_id for _, m in messages}) == 2


def test_more_than_a_hundred_session_items_are_refused():
    body = envelope_with(*[({"type": "session"}, b'{"sid": "a"}')] * 101)
    with pytest.raises(IngestError) as caught:
        parsing.request_messages("envelope", 1, body, "", 0.0, OPTIONS)
    assert (caught.value.status, caught.value.detail) == (400, "an envelope carries at most 100 session items")


def test_a_session_item_that_is_not_a_json_object_is_bad_input():
    with pytest.raises(IngestError) as caught:
        parsing.request_messages("envelope", 1, envelope_with(({"type": "sessions"}, b"[1, 2]")), "", 0.0, OPTIONS)
    assert (caught.value.status, caught.value.detail) == (400, "sessions item must be a JSON object")
