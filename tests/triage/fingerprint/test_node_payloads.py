"""switchyard-v2 on events captured from the real @sentry/node: one group per bug.

Payload names refer to tests/payloads/node/*.json; capture.js there says how each was made, and
service/ is the sample service that made them. The sections follow the failure modes of v1 on
Node events; where v1 got a case wrong, a test says so, to show what v2 changed.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.triage.fingerprint.conftest import (
    NODE_PAYLOADS,
    fingerprint_learning,
    load_node_payload,
    payload_names,
)
from triage.fingerprint import Fingerprint, v1

# The bug behind each captured event: events with one label must share a group, and no two labels may.
BUGS = {
    "console_payment_ord17": "console: payment failed",
    "console_payment_ord42": "console: payment failed",
    "console_inventory_sku9": "console: inventory sync failed",
    "message_quota_t17": "message: quota exceeded",
    "message_quota_t42": "message: quota exceeded",
    "message_disk_v3": "message: disk almost full",
    "rejection_billing_3": "rejected string: billing unavailable",
    "rejection_billing_5": "rejected string: billing unavailable",
    "rejection_stock_3": "rejected string: inventory unavailable",
    "object_user_17": "thrown object: user not found",
    "object_user_42": "thrown object: user not found",
    "object_order_paid": "thrown object: order already paid",
    "api_cart_error": "TypeError in getCart",
    "timeout_billing_3000": "billing upstream timeout",
    "timeout_billing_4500": "billing upstream timeout",
    "timeout_inventory_3000": "inventory upstream timeout",
    "reset_billing": "billing connection reset",
    "reset_inventory": "inventory connection reset",
    "anon_price_r10": "price callback",
    "anon_price_r11": "price callback",
    "anon_weight_r10": "weight callback",
    "anon_weight_r11": "weight callback",
    "route_items_r10": "items route",
    "route_items_r11": "items route",
    "route_page_r10": "orders route",
    "route_page_r11": "orders route",
    "boot_port_abc_r10": "bad PORT at boot",
    "boot_port_empty_r10": "bad PORT at boot",
    "boot_port_abc_r11": "bad PORT at boot",
    "boot_region_r10": "bad REGION at boot",
    "store_load_cart": "Store.load",
    "store_load_wishlist": "Store.load",
    "store_save_cart": "Store.save",
    "alias_direct": "saveOrder",
    "alias_table": "saveOrder",
    "ctor_invoice": "Invoice constructor",
    "ctor_credit_note": "Invoice constructor",
    "retry_once": "quote service down",
    "retry_thrice": "quote service down",
    "retry_thrice_parse": "quote unparsable",
    "helper_user_17": "user not found",
    "helper_user_42": "user not found",
    "helper_order_9": "order not found",
    "checkout_web": "card declined in charge",
    "checkout_api": "card declined in charge",
    "refund": "refund refused",
}


def partition(labels: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for name, label in labels.items():
        groups[label].add(name)
    return {frozenset(names) for names in groups.values()}


def contributing(fp: Fingerprint) -> dict[str, str]:
    return {c.name: c.value for c in fp.components if c.contributes}


@pytest.fixture(name="all_node_events", scope="module")
def all_node_events_fixture() -> dict[str, dict]:
    return {name: load_node_payload(name) for name in payload_names(NODE_PAYLOADS)}


def test_every_captured_node_event_is_labelled_with_its_bug(all_node_events):
    assert set(all_node_events) == set(BUGS)


def test_node_events_group_one_group_per_bug(all_node_events):
    fingerprints = fingerprint_learning(all_node_events)
    assert partition({name: fp.hash for name, fp in fingerprints.items()}) == partition(BUGS)


def test_v1_merged_bugs_and_split_one_on_the_same_events(all_node_events):
    groups = partition({name: v1.fingerprint_event(event).hash for name, event in all_node_events.items()})
    bugs = partition(BUGS)
    merged = [g for g in groups if len({BUGS[name] for name in g}) > 1]
    split = [b for b in bugs if not any(b <= g for g in groups)]
    assert frozenset({"rejection_billing_3", "rejection_stock_3", "reset_billing", "reset_inventory", "rejection_billing_5"}) in merged
    assert frozenset({"store_load_cart", "store_load_wishlist"}) in split


# --- 1. synthetic exceptions: what they say counts ------------------------------------------------


def test_console_errors_from_one_function_group_by_their_message(node):
    ord17, ord42, inventory = node("console_payment_ord17"), node("console_payment_ord42"), node("console_inventory_sku9")
    assert ord17.hash == ord42.hash != inventory.hash
    assert contributing(ord17) == {
        "site": "sampleapp:log in reportFailure",
        "value": "Payment failed for order ord-<int>: card declined",
    }


def test_captured_messages_with_a_stack_group_by_message_and_capture_site(node):
    assert node("message_quota_t17").hash == node("message_quota_t42").hash != node("message_disk_v3").hash
    assert contributing(node("message_quota_t17"))["value"] == "Quota exceeded for tenant <int>"


def test_rejected_strings_group_by_message_not_by_the_sdk_handler(node):
    billing3, billing5, stock = node("rejection_billing_3"), node("rejection_billing_5"), node("rejection_stock_3")
    assert billing3.hash == billing5.hash != stock.hash
    assert contributing(billing3) == {"value": "billing upstream unavailable after <int> attempts"}
    assert next(c for c in billing3.components if c.name == "value").hint.startswith("only the runtime's and the SDK's")


def test_thrown_plain_objects_group_by_their_message(node):
    user17, user42, order = node("object_user_17"), node("object_user_42"), node("object_order_paid")
    assert user17.hash == user42.hash != order.hash
    assert contributing(user17)["value"] == "user <int> not found"


def test_a_real_error_captured_at_the_same_line_still_groups_by_where_it_was_raised(node):
    cart = node("api_cart_error")
    assert cart.culprit == "sampleapp:api in getCart"
    assert cart.hash != node("object_user_17").hash


# --- 2. no in-app frame: never the SDK alone ------------------------------------------------------


def test_library_timer_errors_group_by_type_message_and_library_entry_point(node):
    billing, billing_later, inventory = (
        node("timeout_billing_3000"),
        node("timeout_billing_4500"),
        node("timeout_inventory_3000"),
    )
    assert billing.hash == billing_later.hash != inventory.hash
    assert contributing(billing) == {
        "exception-type": "TimeoutError",
        "site": "upstream-client:index in onTimeout",
        "value": "upstream billing timed out after <int> ms",
    }


def test_strings_rejected_by_a_library_split_by_message(node):
    assert node("reset_billing").hash != node("reset_inventory").hash


def test_no_sdk_or_runtime_frame_ever_counts(all_node_events):
    for name, fp in fingerprint_learning(all_node_events).items():
        values = " ".join(c.value for c in fp.components if c.contributes)
        assert "@sentry" not in values and "node:" not in values, name
        assert "@sentry" not in fp.culprit, name


# --- 3. anonymous functions -----------------------------------------------------------------------


def test_two_callbacks_in_one_module_stay_apart_across_line_drift(node):
    price, weight = node("anon_price_r10"), node("anon_weight_r10")
    assert price.hash == node("anon_price_r11").hash
    assert weight.hash == node("anon_weight_r11").hash
    assert price.hash != weight.hash
    assert contributing(price)["caller"] == "totalPrice"
    assert price.culprit == "sampleapp:cart in <anonymous> (in totalPrice)"


def test_anonymous_route_handlers_are_told_apart_by_their_source_line(node):
    items, page = node("route_items_r10"), node("route_page_r10")
    assert items.hash == node("route_items_r11").hash != page.hash == node("route_page_r11").hash
    assert "caller" not in contributing(items)  # called from another module: no enclosing function
    assert contributing(items)["context-line"] == "register('/cart/items', (req) => req.body.items.length);"


def test_module_top_level_code_is_told_apart_by_its_source_line(node):
    port = node("boot_port_abc_r10")
    assert port.hash == node("boot_port_empty_r10").hash == node("boot_port_abc_r11").hash
    assert port.hash != node("boot_region_r10").hash


# --- 4. V8 frame names ----------------------------------------------------------------------------


def test_a_method_defined_once_is_one_function_whatever_the_receiver_class(node):
    cart, wishlist, save = node("store_load_cart"), node("store_load_wishlist"), node("store_save_cart")
    assert cart.hash == wishlist.hash != save.hash
    assert cart.culprit == "sampleapp:stores in load"


def test_a_call_through_an_alias_is_the_same_function(node):
    assert node("alias_direct").hash == node("alias_table").hash
    assert node("alias_table").culprit == "sampleapp:orders in saveOrder"


def test_a_constructor_built_directly_or_by_a_subclass_is_one_function(node):
    assert node("ctor_invoice").hash == node("ctor_credit_note").hash
    assert node("ctor_invoice").culprit == "sampleapp:invoices in Invoice"


# --- 5. chained causes ----------------------------------------------------------------------------


def test_one_or_three_retry_wrappers_are_one_group(node):
    once, thrice, parse = node("retry_once"), node("retry_thrice"), node("retry_thrice_parse")
    assert once.hash == thrice.hash != parse.hash
    causes = [c.value for c in thrice.components if c.name == "cause" and c.contributes]
    assert causes == ["UpstreamError at sampleapp:quotes in requestQuote"]
    assert v1.fingerprint_event(load_node_payload("retry_once")).hash != v1.fingerprint_event(
        load_node_payload("retry_thrice")
    ).hash


# --- 6. shared helpers ----------------------------------------------------------------------------

HELPER_EVENTS = ("helper_user_17", "helper_user_42", "helper_order_9")


def test_before_anything_is_learned_a_helper_joins_its_callers_and_is_observed(node):
    fingerprints = [node(name) for name in HELPER_EVENTS]
    assert len({fp.hash for fp in fingerprints}) == 1
    assert [fp.raise_helper.observation for fp in fingerprints] == [
        ("sampleapp:validate in assertFound", "sampleapp:users in loadUser", "user <int> not found"),
        ("sampleapp:validate in assertFound", "sampleapp:users in loadUser", "user <int> not found"),
        ("sampleapp:validate in assertFound", "sampleapp:orders in loadOrder", "order ord-<int> not found"),
    ]


def test_a_learned_raise_helper_lets_its_caller_decide():
    fingerprints = fingerprint_learning({name: load_node_payload(name) for name in HELPER_EVENTS})
    user17, user42, order = (fingerprints[name] for name in HELPER_EVENTS)
    assert user17.hash == user42.hash != order.hash
    assert (user17.culprit, order.culprit) == ("sampleapp:users in loadUser", "sampleapp:orders in loadOrder")
    assert contributing(user17)["raise-helper"] == "sampleapp:validate in assertFound"


def test_raise_helpers_given_up_front_decide_like_learned_ones(node):
    known = ["sampleapp:validate in assertFound"]
    learned = fingerprint_learning({name: load_node_payload(name) for name in HELPER_EVENTS})
    assert [node(name, raise_helpers=known).hash for name in HELPER_EVENTS] == [learned[n].hash for n in HELPER_EVENTS]


@pytest.mark.parametrize(
    "rule",
    ["function:assertFound", "module:sampleapp:validate", "path:validate.js", "path:**/sampleapp/validate.js"],
)
def test_helper_rules_apply_to_javascript_frames(node, rule):
    user17, user42, order = (node(name, [rule]) for name in HELPER_EVENTS)
    assert user17.hash == user42.hash != order.hash
    assert user17.culprit == "sampleapp:users in loadUser"


def test_a_function_that_fails_by_itself_is_not_taken_for_a_helper(all_node_events):
    fingerprints = fingerprint_learning(all_node_events)
    assert fingerprints["checkout_web"].hash == fingerprints["checkout_api"].hash
    assert fingerprints["checkout_web"].culprit == "sampleapp:checkout in charge"
