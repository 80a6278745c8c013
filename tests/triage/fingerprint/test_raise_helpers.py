"""Raise-helpers: what one event observes, what a project learns, and the fingerprint it then gets."""

from __future__ import annotations

import pytest

from tests.triage.fingerprint.conftest import (
    PAYLOADS,
    fingerprint_learning,
    load_node_payload,
    load_payload,
    payload_names,
)
from triage.fingerprint import learn_raise_helpers, v2, with_raise_helpers

FAIL = "sampleapp.errors in fail"


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        ([("h", "a", "x <int>"), ("h", "b", "y <int>")], {"h"}),
        ([("h", "a", "x <int>"), ("h", "a", "z")], set()),  # one caller, however many messages
        ([("h", "a", "same"), ("h", "b", "same")], set()),  # fails the same way for everyone
        ([("h", "a", "x"), ("h", "b", "y"), ("h", "c", "x")], set()),  # one message shared by two callers
        ([("h", "a", "x"), ("h", "b", "y"), ("g", "a", "x")], {"h"}),
        ([], set()),
    ],
)
def test_a_raise_helper_is_seen_raising_its_own_messages_for_several_callers(observations, expected):
    assert learn_raise_helpers(observations) == expected


def test_python_payloads_teach_only_the_fail_helper():
    events = {name: load_payload(name) for name in payload_names(PAYLOADS)}
    observations = [fp.raise_helper.observation for fp in map(v2.fingerprint_event, events.values()) if fp.raise_helper]
    # charge() is seen raising for two callers too, but it says the same thing to both
    assert {o[:2] for o in observations} >= {
        ("sampleapp.checkout in charge", "sampleapp.checkout in checkout"),
        ("sampleapp.checkout in charge", "sampleapp.checkout in checkout_from_api"),
    }
    assert learn_raise_helpers(observations) == {FAIL}


def test_learning_splits_the_python_helper_callers_like_a_rule_does():
    names = ("fail_helper_reserve", "fail_helper_reserve_other", "fail_helper_release")
    learned = fingerprint_learning({name: load_payload(name) for name in names})
    ruled = {name: v2.fingerprint_event(load_payload(name), ["function:fail"]) for name in names}
    assert learned["fail_helper_reserve"].hash == learned["fail_helper_reserve_other"].hash
    assert learned["fail_helper_reserve"].hash != learned["fail_helper_release"].hash
    assert [learned[n].culprit for n in names] == [ruled[n].culprit for n in names]


def test_an_event_is_observed_only_when_its_site_raises_for_a_caller_that_names_it():
    event = load_node_payload("helper_user_17")
    assert v2.fingerprint_event(event).raise_helper is not None
    caller = event["exception"]["values"][-1]["stacktrace"]["frames"][-2]
    caller["context_line"] = "  return lookup(USERS.get(id));"  # an async gap: not a call we can see
    assert v2.fingerprint_event(event).raise_helper is None


def test_a_site_that_does_not_raise_itself_is_never_observed():
    event = load_node_payload("helper_user_17")
    event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["context_line"] = "  return value.id;"
    assert v2.fingerprint_event(event).raise_helper is None
    assert v2.fingerprint_event(load_node_payload("store_load_cart")).raise_helper is None  # a TypeError


def test_with_raise_helpers_applies_only_known_helpers():
    fp = v2.fingerprint_event(load_node_payload("helper_order_9"))
    assert with_raise_helpers(fp, set()) is fp
    assert with_raise_helpers(fp, {"sampleapp:other in fail"}) is fp
    decided = with_raise_helpers(fp, {"sampleapp:validate in assertFound"})
    assert decided.hash != fp.hash and decided.culprit == "sampleapp:orders in loadOrder"
    assert decided.hash == v2.fingerprint_event(load_node_payload("helper_order_9"), (), ["sampleapp:validate in assertFound"]).hash


def test_a_helper_called_from_no_app_frame_stays_the_site():
    event = load_node_payload("helper_order_9")
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    for frame in frames[:-1]:
        frame["in_app"] = False
    fp = v2.fingerprint_event(event, (), ["sampleapp:validate in assertFound"])
    assert fp.culprit == "sampleapp:validate in assertFound"
