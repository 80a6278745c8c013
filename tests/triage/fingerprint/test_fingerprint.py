"""Grouping behaviour on events captured from the real (Python) sentry-sdk, for every algorithm.

Each test runs once per algorithm (the ``algorithm`` fixture): switchyard-v2 must group Python
events exactly as switchyard-v1 does. Payload names refer to tests/payloads/fingerprint/*.json;
capture.py there says how each was raised.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from triage.fingerprint import Component, Fingerprint


def contributing(fp: Fingerprint) -> dict[str, str]:
    return {c.name: c.value for c in fp.components if c.contributes}


def component(fp: Fingerprint, name: str) -> Component:
    return next(c for c in fp.components if c.name == name)


# --- crash site ------------------------------------------------------------------------------


def test_same_crash_site_joins_across_line_numbers_and_releases(fingerprint_of):
    # 1.1 moved charge() 11 lines down, reformatted the raise and changed the caller's code.
    before, after = fingerprint_of("checkout_web_r10"), fingerprint_of("checkout_web_r11")
    assert before.hash == after.hash
    assert contributing(before) == {
        "exception-type": "PaymentDeclined",
        "site": "sampleapp.checkout in charge",
    }


def test_same_crash_site_joins_across_callers(fingerprint_of):
    web, api = fingerprint_of("checkout_web_r10"), fingerprint_of("checkout_api_r11")
    assert web.hash == api.hash
    assert web.call_path_hash != api.call_path_hash


def test_different_crashing_function_with_same_type_splits(fingerprint_of):
    assert fingerprint_of("checkout_web_r10").hash != fingerprint_of("refund_r10").hash


def test_zero_division_in_two_functions_is_two_groups(fingerprint_of):
    assert fingerprint_of("zero_average").hash != fingerprint_of("zero_ratio").hash


def test_zero_division_in_one_function_with_other_inputs_is_one_group(fingerprint_of):
    assert fingerprint_of("zero_ratio").hash == fingerprint_of("zero_ratio_other").hash


def test_different_exception_type_at_same_site_splits(payload, fingerprint_event):
    event = payload("keyerror_price")
    original = fingerprint_event(event)
    event["exception"]["values"][-1]["type"] = "IndexError"
    assert fingerprint_event(event).hash != original.hash


def test_variable_parts_of_the_value_do_not_split_a_group(fingerprint_of):
    ann, bob = fingerprint_of("notify_ann"), fingerprint_of("notify_bob")
    assert ann.hash == bob.hash
    assert ann.title.startswith("DeliveryFailed: could not deliver to ann@example.com")


def test_value_does_not_contribute_when_the_stack_is_usable(payload, fingerprint_event):
    event = payload("checkout_web_r10")
    original = fingerprint_event(event)
    event["exception"]["values"][-1]["value"] = "something else entirely"
    changed = fingerprint_event(event)
    assert changed.hash == original.hash
    assert component(changed, "value").contributes is False
    assert changed.title == "PaymentDeclined: something else entirely"


def test_line_numbers_context_lines_and_paths_do_not_contribute(payload, fingerprint_event):
    event = payload("zero_average")
    original = fingerprint_event(event)
    for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]:
        frame.update(lineno=999, context_line="    x = 1", abs_path="/elsewhere/" + frame["filename"])
    assert fingerprint_event(event).hash == original.hash


def test_exception_raised_in_library_code_groups_by_in_app_caller(fingerprint_of):
    direct, via_feed = fingerprint_of("json_payload_invalid"), fingerprint_of("json_feed_invalid")
    assert direct.hash == via_feed.hash
    assert direct.culprit == "sampleapp.parsing in parse_payload"
    library = component(direct, "frame")
    assert (library.value, library.contributes) == ("json.decoder in raw_decode", False)


def test_exception_raised_by_a_builtin_groups_by_calling_function(fingerprint_of):
    assert fingerprint_of("int_quantity_abc").hash == fingerprint_of("int_quantity_empty").hash
    assert fingerprint_of("int_quantity_abc").hash != fingerprint_of("keyerror_price").hash


def test_stack_without_in_app_frames_uses_the_innermost_frame(fingerprint_of):
    brace, bracket = fingerprint_of("json_no_app_frames_brace"), fingerprint_of("json_no_app_frames_list")
    assert brace.hash == bracket.hash
    assert component(brace, "site").hint == "innermost frame (no in-app frames)"
    assert brace.culprit == "json.decoder in raw_decode"
    assert brace.call_path == ()
    assert brace.hash != fingerprint_of("json_payload_invalid").hash


def test_module_missing_falls_back_to_lowercased_file_basename(payload, fingerprint_event):
    event = payload("zero_ratio")
    frame = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    frame["module"] = None
    frame["filename"] = "SampleApp/Maths.py"
    assert component(fingerprint_event(event), "site").value == "maths.py in ratio"


# --- call path and recursion ------------------------------------------------------------------


def test_call_path_runs_from_outermost_in_app_caller_to_the_site(fingerprint_of):
    fp = fingerprint_of("checkout_web_r10")
    assert fp.call_path == (
        "sampleapp.checkout.checkout_from_web",
        "sampleapp.checkout.checkout",
        "sampleapp.checkout.charge",
    )
    assert re.fullmatch(r"[0-9a-f]{16,}", fp.call_path_hash)


def test_direct_recursion_is_collapsed_and_depth_does_not_split(fingerprint_of):
    shallow, deep = fingerprint_of("recursion_direct_shallow"), fingerprint_of("recursion_direct_deep")
    assert shallow.hash == deep.hash
    assert shallow.call_path == deep.call_path == ("sampleapp.tree.first_leaf",)


def test_recursion_through_a_generator_is_collapsed_too(fingerprint_of):
    shallow, deep = fingerprint_of("recursion_shallow"), fingerprint_of("recursion_deep")
    assert shallow.hash == deep.hash
    assert shallow.call_path_hash == deep.call_path_hash
    assert len(deep.call_path) == 3


# --- chained exceptions -----------------------------------------------------------------------


def test_title_and_culprit_name_the_raised_last_exception(fingerprint_of):
    fp = fingerprint_of("chain_config_json_a")
    assert fp.title == "ConfigError: config is not valid JSON"
    assert fp.culprit == "sampleapp.config in load_config"


def test_explicit_cause_contributes_its_type_and_site(fingerprint_of):
    fp = fingerprint_of("chain_config_json_a")
    assert component(fp, "cause").value == "JSONDecodeError at sampleapp.parsing in parse_payload"
    assert fp.hash == fingerprint_of("chain_config_json_b").hash


def test_same_outer_exception_with_a_different_cause_splits(fingerprint_of):
    assert fingerprint_of("chain_setting_bad_json").hash != fingerprint_of("chain_setting_missing_key").hash


def test_implicit_context_chain_counts_as_a_cause(fingerprint_of):
    fp = fingerprint_of("chain_price_implicit")
    assert contributing(fp)["cause"] == "KeyError at sampleapp.parsing in lookup_price"


def test_bare_exception_list_groups_like_values_object(payload, fingerprint_event):
    event = payload("chain_config_json_a")
    wrapped = fingerprint_event(event)
    event["exception"] = event["exception"]["values"]
    assert fingerprint_event(event).hash == wrapped.hash


# --- no stack, messages -----------------------------------------------------------------------


def test_without_a_stack_the_parameterised_value_decides(fingerprint_of):
    ann, bob = fingerprint_of("unraised_delivery_ann"), fingerprint_of("unraised_delivery_bob")
    assert ann.hash == bob.hash
    assert contributing(ann) == {
        "exception-type": "DeliveryFailed",
        "value": "could not deliver to <email> (id <int>)",
    }
    assert ann.hash != fingerprint_of("unraised_mailbox_full").hash


def test_crashed_thread_stack_serves_an_exception_without_frames(payload, fingerprint_event):
    event = payload("zero_ratio")
    main = event["exception"]["values"][-1]
    event["threads"] = {"values": [{"crashed": True, "stacktrace": main.pop("stacktrace")}]}
    assert fingerprint_event(event).hash == fingerprint_event(payload("zero_ratio")).hash


def test_logging_template_groups_messages_with_different_params(fingerprint_of):
    inventory, billing = fingerprint_of("log_sync_inventory"), fingerprint_of("log_sync_billing")
    assert inventory.hash == billing.hash
    assert contributing(inventory) == {"message": "Failed to sync %s after %d retries"}
    assert inventory.title == "Failed to sync inventory after 3 retries"


def test_preformatted_log_message_groups_by_its_parameterised_text(fingerprint_of):
    assert fingerprint_of("log_sync_tenant_17").hash == fingerprint_of("log_sync_tenant_42").hash
    assert fingerprint_of("log_sync_tenant_17").hash != fingerprint_of("log_sync_inventory").hash


def test_captured_messages_join_on_ids_and_split_on_words(fingerprint_of):
    assert fingerprint_of("message_quota_17").hash == fingerprint_of("message_quota_42").hash
    assert fingerprint_of("message_slow_orders").hash != fingerprint_of("message_slow_users").hash


def test_message_with_attached_stack_groups_by_site_and_message(fingerprint_of):
    quota = fingerprint_of("message_stack_quota_17")
    assert quota.hash == fingerprint_of("message_stack_quota_42").hash
    assert quota.hash != fingerprint_of("message_stack_slow_orders").hash
    assert set(contributing(quota)) == {"site", "message"}
    assert quota.culprit == "sampleapp.jobs in enforce_quota"


def test_logger_exception_groups_by_the_exception_not_the_message(fingerprint_of):
    logged = fingerprint_of("log_exception_row_a")
    assert (
        logged.hash == fingerprint_of("log_exception_row_b").hash == fingerprint_of("int_quantity_abc").hash
    )
    assert component(logged, "message").contributes is False


def test_message_only_event_culprit_is_the_transaction(fingerprint_event):
    fp = fingerprint_event({"message": "Cache miss storm", "transaction": "/orders/{id}/"})
    assert (fp.title, fp.culprit) == ("Cache miss storm", "/orders/{id}/")


# --- exception groups -------------------------------------------------------------------------


def test_exception_group_joins_regardless_of_member_order_and_count(fingerprint_of):
    two, three = fingerprint_of("group_value_type"), fingerprint_of("group_type_value_value")
    assert two.hash == three.hash
    assert [c.value for c in two.components if c.name == "leaf"] == [
        "TypeError at sampleapp.batch in handle",
        "ValueError at sampleapp.batch in handle",
    ]


def test_exception_group_of_one_kind_groups_and_titles_by_that_kind(fingerprint_of):
    single = fingerprint_of("group_values_only")
    assert single.hash != fingerprint_of("group_value_type").hash
    assert single.title == "ValueError: bad row 'x'"
    assert component(single, "exception-group").contributes is False


def test_exception_group_with_broken_ids_falls_back_to_the_chain(payload, fingerprint_event):
    event = payload("group_value_type")
    event["exception"]["values"][0]["mechanism"]["parent_id"] = 99
    fp = fingerprint_event(event)
    assert fp.title.startswith("ExceptionGroup")
    assert [c.name for c in fp.components if c.contributes].count("cause") == 2


# --- the event's own fingerprint --------------------------------------------------------------


def test_default_only_fingerprint_hashes_like_no_fingerprint(fingerprint_of):
    assert fingerprint_of("fp_only_default").hash == fingerprint_of("checkout_web_r10").hash


def test_default_plus_entry_refines_the_default_group(fingerprint_of):
    acme = fingerprint_of("fp_default_acme")
    assert acme.hash == fingerprint_of("fp_default_acme_api").hash
    assert acme.hash != fingerprint_of("fp_default_globex").hash
    assert acme.hash != fingerprint_of("checkout_web_r10").hash
    assert contributing(acme)["custom"] == "acme"


def test_fingerprint_without_default_replaces_default_grouping(fingerprint_of):
    charge, refund = fingerprint_of("fp_gateway_charge"), fingerprint_of("fp_gateway_refund")
    assert charge.hash == refund.hash
    assert contributing(charge) == {"custom": "payment-gateway"}
    assert component(charge, "site").hint == "ignored: replaced by the event's fingerprint"
    assert charge.title.startswith("PaymentDeclined")


def test_fingerprint_variables_resolve_from_the_event(fingerprint_of):
    orders = fingerprint_of("fp_vars_orders")
    values = [c.value for c in orders.components if c.name == "custom"]
    assert values == ["PaymentDeclined", "/orders/{id}/", "sampleapp.checkout", "refund"]
    assert orders.hash != fingerprint_of("fp_vars_refunds").hash


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{{ level }}", "warning"),
        ("{{message}}", "Disk full on db-1"),
        ("{{ error.value }}", "<no-error.value>"),
        ("{{ tags.tenant }}", "acme"),
        ("tenant-{{ tags.tenant }}-{{ level }}", "tenant-acme-warning"),
        ("{{ nonsense }}", "<no-nonsense>"),
    ],
)
def test_fingerprint_variable_values(entry, expected, fingerprint_event):
    event = {
        "message": "Disk full on db-1",
        "level": "warning",
        "tags": [["tenant", "acme"]],
        "fingerprint": [entry],
    }
    assert contributing(fingerprint_event(event)) == {"custom": expected}


# --- result shape and robustness --------------------------------------------------------------


def test_fingerprint_is_versioned_and_json_ready(fingerprint_of, algorithm):
    fp = fingerprint_of("chain_price_implicit")
    assert fp.algorithm == algorithm
    assert re.fullmatch(r"[0-9a-f]{32}", fp.hash)
    as_dicts = [dataclasses.asdict(c) for c in fp.components]
    assert as_dicts[0] == {
        "name": "exception-type",
        "value": "ConfigError",
        "contributes": True,
        "hint": as_dicts[0]["hint"],
    }
    assert fp.call_path == ("sampleapp.config.load_price",)


def test_title_is_cut_to_200_characters(fingerprint_event):
    fp = fingerprint_event({"exception": {"values": [{"type": "ValueError", "value": "x" * 5000}]}})
    assert len(fp.title) == 200 and fp.title.startswith("ValueError: xxx")


def test_synthetic_exception_type_does_not_contribute(fingerprint_event):
    base = {"type": "Error", "value": "segfault at <addr>", "mechanism": {"synthetic": True}}
    other = dict(base, type="Signal")
    assert fingerprint_event({"exception": [base]}).hash == fingerprint_event({"exception": [other]}).hash


MALFORMED_EVENTS = [
    None,
    [],
    "boom",
    {},
    {"exception": None, "message": None, "logentry": None, "threads": None, "fingerprint": None},
    {"exception": {"values": None}},
    {"exception": {"values": [None, 1, "x", []]}},
    {"exception": {"values": [{}]}},
    {"exception": [{"type": None, "value": None, "stacktrace": None, "mechanism": None}]},
    {"exception": [{"type": 7, "value": {"a": 1}, "stacktrace": {"frames": None}}]},
    {"exception": [{"type": "E", "stacktrace": {"frames": [None, {}, {"function": None}, {"module": 5}]}}]},
    {"exception": [{"type": "E", "stacktrace": {"frames": "not a list"}}]},
    {"exception": [{"type": "E", "stacktrace": {"frames": [{"function": "f", "in_app": "yes"}] * 5000}}]},
    {
        "exception": [
            {"type": "E", "mechanism": {"exception_id": True, "parent_id": "0", "is_exception_group": True}}
        ]
    },
    {
        "exception": [
            {"type": "E", "mechanism": {"exception_id": 0, "parent_id": 0, "is_exception_group": True}}
        ]
    },
    {"exception": [{"type": "\ud800", "value": "\udfff" * 3}]},
    {"message": {"message": None, "formatted": 3}},
    {"message": ["a"], "logentry": {"message": 1.5, "params": None}},
    {"threads": {"values": [None, {"stacktrace": None}, {"crashed": True, "stacktrace": {"frames": {}}}]}},
    {"stacktrace": {"frames": [{"module": "m", "function": "f", "in_app": True}]}, "fingerprint": "x"},
    {"fingerprint": [None, 1, 2.5, {"a": 1}, "{{ default }}", "{{ }}", "{{ tags. }}"], "tags": {"a": None}},
    {"fingerprint": ["{{ default }}"] * 1000, "message": "m" * 1_000_000},
    {"level": 3, "transaction": ["x"], "logger": None, "message": "\n\n\n"},
]


@pytest.mark.parametrize("event", MALFORMED_EVENTS, ids=range(len(MALFORMED_EVENTS)))
def test_fingerprint_event_never_raises_on_malformed_events(event, fingerprint_event):
    fp = fingerprint_event(event, rules=["function:f", "bad rule", None])  # type: ignore[list-item]
    assert re.fullmatch(r"[0-9a-f]{32}", fp.hash)
    assert len(fp.title) <= 200
    assert not any(c.value == "<grouping failed>" for c in fp.components), "an internal error was swallowed"
