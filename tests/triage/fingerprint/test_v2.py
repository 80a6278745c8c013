"""switchyard-v2 as a whole: what it keeps from v1, and the cases the payload tests do not show.

The Node payload tests (test_node_payloads.py) hold the main evidence; these are the contracts
around them, on hand-made events where a captured one cannot show the case.
"""

from __future__ import annotations

import re

import pytest

from tests.triage.fingerprint.conftest import PAYLOADS, load_payload, payload_names
from triage.fingerprint import (
    ALGORITHM,
    ALGORITHMS,
    PREVIOUS_ALGORITHM,
    Fingerprint,
    fingerprint_event,
    v1,
    v2,
)


def contributing(fp: Fingerprint) -> dict[str, str]:
    return {c.name: c.value for c in fp.components if c.contributes}


def node_exception(*exceptions: dict, **event) -> dict:
    return {"platform": "node", "exception": {"values": list(exceptions)}, **event}


def frame(module: str, function: str, in_app: bool = True, line: str = "", filename: str = "") -> dict:
    return {
        "module": module,
        "function": function,
        "in_app": in_app,
        "context_line": line,
        "filename": filename or f"/app/{module}.js",
    }


def test_new_events_get_v2_and_v1_stays_available_for_the_transition():
    assert ALGORITHM == "switchyard-v2" == v2.ALGORITHM
    assert PREVIOUS_ALGORITHM == "switchyard-v1"
    assert ALGORITHMS[PREVIOUS_ALGORITHM] is v1.fingerprint_event
    assert fingerprint_event is v2.fingerprint_event


@pytest.mark.parametrize("name", payload_names(PAYLOADS))
def test_python_events_keep_their_v1_fingerprint(name):
    before, after = v1.fingerprint_event(load_payload(name)), v2.fingerprint_event(load_payload(name))
    assert (after.hash, after.title, after.culprit, after.call_path) == (
        before.hash, before.title, before.culprit, before.call_path
    )
    assert after.algorithm == "switchyard-v2"


def test_a_console_message_without_the_synthetic_flag_is_still_synthetic():
    def console(message: str) -> dict:
        return node_exception(
            {
                "value": message,
                "mechanism": {"type": "console", "handled": True},  # older SDKs: no "synthetic"
                "stacktrace": {"frames": [frame("app:log", "report", line="console.error(message);")]},
            }
        )

    assert fingerprint_event(console("disk full on vol-3")).hash == fingerprint_event(console("disk full on vol-9")).hash
    assert fingerprint_event(console("disk full on vol-3")).hash != fingerprint_event(console("quota exceeded")).hash


def test_a_thrown_object_with_a_name_groups_by_its_message_not_the_sdk_wording():
    def thrown(message: str) -> dict:
        value = f"'HttpError' captured as exception with message '{message}'"
        return node_exception({"type": "Error", "value": value, "mechanism": {"type": "generic", "synthetic": True}})

    assert contributing(fingerprint_event(thrown("user 17 not found"))) == {"value": "HttpError: user <int> not found"}
    assert fingerprint_event(thrown("user 17 not found")).hash != fingerprint_event(thrown("order 9 is paid")).hash


def test_causes_repeating_the_exception_count_once_however_deep():
    def chain(wrappers: int) -> dict:
        root = {"type": "UpstreamError", "value": "503", "stacktrace": {"frames": [frame("app:quotes", "request")]}}
        wrapper = {"type": "QuoteError", "value": "no quote", "stacktrace": {"frames": [frame("app:quotes", "fetch")]}}
        return node_exception(root, *[wrapper] * wrappers)

    assert fingerprint_event(chain(1)).hash == fingerprint_event(chain(3)).hash == fingerprint_event(chain(8)).hash
    assert v1.fingerprint_event(chain(1)).hash != v1.fingerprint_event(chain(3)).hash
    assert fingerprint_event(chain(1)).hash != fingerprint_event(chain(0)).hash  # a wrapper still counts


def test_an_anonymous_function_with_neither_caller_nor_source_line_groups_by_its_module():
    event = node_exception({"type": "TypeError", "value": "x", "stacktrace": {"frames": [frame("app:jobs", "?")]}})
    fp = fingerprint_event(event)
    assert contributing(fp) == {"exception-type": "TypeError", "site": "app:jobs in <anonymous>"}
    assert any(c.name == "context-line" and not c.contributes for c in fp.components)


def test_python_frames_keep_their_qualified_names():
    # Python sends the qualified name; trimming it as for V8 would merge Cart.total with Invoice.total.
    def event(function: str) -> dict:
        return {"platform": "python", "exception": [{"type": "E", "stacktrace": {"frames": [frame("shop", function)]}}]}

    assert fingerprint_event(event("Cart.total")).hash != fingerprint_event(event("Invoice.total")).hash


def test_sdk_frames_are_never_a_site_on_python_either():
    frames = [frame("shop.jobs", "run", in_app=False), frame("sentry_sdk.integrations.logging", "emit", in_app=False)]
    fp = fingerprint_event({"platform": "python", "exception": [{"type": "E", "stacktrace": {"frames": frames}}]})
    assert fp.culprit == "shop.jobs in run"


JS_MALFORMED = [
    {"platform": "node"},
    {"platform": "node", "exception": {"values": [{"value": None, "mechanism": {"synthetic": "yes"}}]}},
    {"platform": "node", "exception": [{"type": "E", "stacktrace": {"frames": [{"function": None, "filename": 3}]}}]},
    {"platform": "node", "exception": [{"type": "E", "stacktrace": {"frames": [{"function": " [as x]"}, {"function": "new "}]}}]},
    {"platform": "node", "exception": [{"type": "E", "stacktrace": {"frames": [{"filename": "node:internal/x"}] * 3}}]},
    {"platform": "node", "exception": [{"value": "'", "mechanism": {"type": "console"}, "stacktrace": {"frames": [{"function": "?", "in_app": True, "context_line": 5}]}}]},
    {"platform": "node", "exception": [{"type": "E", "stacktrace": {"frames": [{"function": "f", "in_app": True, "context_line": "throw x"}] * 3}}]},
    {"platform": "javascript", "exception": [{"type": "E", "stacktrace": {"frames": [{"function": "?", "in_app": True, "context_line": "x" * 10_000}]}}]},
]


@pytest.mark.parametrize("event", JS_MALFORMED, ids=range(len(JS_MALFORMED)))
def test_javascript_events_never_make_v2_raise(event):
    fp = fingerprint_event(event, rules=["function:f"], raise_helpers=["x in f"])
    assert re.fullmatch(r"[0-9a-f]{32}", fp.hash)
    assert not any(c.value == "<grouping failed>" for c in fp.components), "an internal error was swallowed"
    if fp.raise_helper is not None:
        assert re.fullmatch(r"[0-9a-f]{32}", fp.raise_helper.fingerprint.hash)
