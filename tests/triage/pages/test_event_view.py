"""triage.pages.event_view: a stored payload → the exceptions, frames and context the detail page shows."""

import json
from pathlib import Path

from triage.pages.event_view import event_view

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "fingerprint"


def real(name: str) -> str:
    return (PAYLOADS / name).read_text()


def test_chained_exceptions_are_shown_raised_last_first():
    details = event_view(real("chain_config_json_a.json"))
    assert [e.type for e in details.exceptions] == ["ConfigError", "JSONDecodeError"]
    assert details.exceptions[0].chain_label == ""
    assert details.exceptions[1].chain_label.startswith("chained")


def test_frames_are_most_recent_call_first_with_in_app_marked():
    cause = event_view(real("chain_config_json_a.json")).exceptions[1]
    assert [f.function for f in cause.frames] == ["raw_decode", "decode", "loads", "parse_payload", "load_config"]
    assert [f.in_app for f in cause.frames] == [False, False, False, True, True]


def test_source_context_is_numbered_around_the_current_line():
    frame = event_view(real("chain_config_json_a.json")).exceptions[1].frames[3]  # parse_payload, line 7
    current = [line for line in frame.context if line.current]
    assert [(line.number, line.code) for line in current] == [(7, "    return json.loads(raw)")]
    assert frame.context[0].number == 2 and frame.context[-1].number == 12


def test_cause_and_context_sources_get_their_python_wording():
    event = {"exception": {"values": [
        {"type": "KeyError", "value": "'price'", "mechanism": {"type": "chained", "source": "__context__"}},
        {"type": "LookupFailed", "value": "no price", "mechanism": {"type": "generic"}},
    ]}}
    assert "during the handling" in event_view(json.dumps(event)).exceptions[1].chain_label


def test_tags_user_request_and_contexts_are_listed_and_flags_context_left_out():
    event = {
        "tags": [["tenant", "acme"], ["region", "eu"]], "user": {"id": "u-1", "email": None},
        "request": {"url": "https://shop.example/checkout", "method": "POST", "headers": {"Cookie": "secret"}},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11"}, "flags": {"values": []}},
        "message": "checkout failed",
    }
    details = event_view(json.dumps(event))
    assert details.tags == [("region", "eu"), ("tenant", "acme")]
    assert details.user == [("id", "u-1")]
    assert details.request == [("method", "POST"), ("url", "https://shop.example/checkout")]
    assert [name for name, _ in details.contexts] == ["runtime"]
    assert details.message == "checkout failed"


def test_a_message_event_with_a_thread_stack_shows_the_stack():
    event = {"logentry": {"message": "slow %s", "formatted": "slow orders"},
             "threads": {"values": [{"current": True, "stacktrace": {"frames": [{"function": "a"}, {"function": "b", "in_app": True}]}}]}}
    details = event_view(json.dumps(event))
    assert details.message == "slow orders"
    assert [f.function for f in details.stack] == ["b", "a"]


def test_garbage_gives_empty_details_instead_of_an_error():
    for payload in ["not json", "[]", json.dumps({"exception": "x", "tags": 5, "user": [], "breadcrumbs": {"values": [None]}})]:
        details = event_view(payload)
        assert details.exceptions == [] and details.tags == [] and details.user == []


def test_values_nested_past_the_limit_are_shown_cut():
    deep = "[" * 2000 + "]" * 2000
    payload = '{"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"function": "f", "vars": {"v": ' + deep + "}}]}}]}}"
    [frame] = event_view(payload).exceptions[0].frames
    [(name, shown)] = frame.variables
    assert name == "v" and "\\u2026" in shown  # the cut, as the JSON the page shows


def test_lone_surrogates_in_tags_and_breadcrumbs_are_shown_as_replacement_characters():
    payload = r'{"tags": {"t\ud800": "v\udc00"}, "breadcrumbs": {"values": [{"message": "clicked \ud800"}]}}'
    details = event_view(payload)
    assert details.tags == [("t\ufffd", "v\ufffd")]
    assert details.breadcrumbs[0]["message"] == "clicked \ufffd"


def test_breadcrumb_times_are_read_as_times_whatever_form_the_sdk_sent():
    """The protocol allows an RFC 3339 string or seconds since the epoch; anything else stays text."""
    import datetime as dt

    when = dt.datetime(2026, 12, 1, 9, 30, 5, tzinfo=dt.UTC)
    crumbs = [{"timestamp": "2026-12-01T09:30:05Z"}, {"timestamp": "2026-12-01T10:30:05+01:00"},
              {"timestamp": when.timestamp()}, {"timestamp": "yesterday"}, {"timestamp": 10**30}, {}]
    details = event_view(json.dumps({"breadcrumbs": {"values": crumbs}}))
    assert [c["time"] for c in details.breadcrumbs[::-1]] == [when, when, when, None, None, None]
    assert details.breadcrumbs[2]["timestamp"] == "yesterday"
