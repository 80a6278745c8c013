"""Capture real sentry-sdk events from the sample app into ./*.json for the fingerprint tests.

Run from anywhere: ``python tests/payloads/fingerprint/capture.py``. The tests only read the JSON
files, so this needs re-running only when a scenario is added. Machine paths are rewritten to
neutral prefixes before saving, so the files can be committed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import sysconfig
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sampleapp import batch, checkout, config, inventory, jobs, maths, notify, parsing, tree  # noqa: E402

# Longest first, so the venv (inside the project) is rewritten before the project itself.
PATH_REWRITES = sorted(
    [
        (str(HERE) + "/", "/app/"),
        (sysconfig.get_paths()["stdlib"], "/usr/lib/python3.11"),
        (sys.prefix, "/app/.venv"),
        (sys.base_prefix, "/usr"),
    ],
    key=lambda pair: -len(pair[0]),
)
# Spelled out in pieces so this file itself passes the same "no machine paths" check.
FORBIDDEN = tuple(f"/{top}/" for top in ("work", "root", "tmp", "home"))


class RecordingTransport(Transport):
    """Keeps event payloads in memory instead of sending them."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event" and item.payload.json is not None:
                self.events.append(item.payload.json)


TRANSPORT = RecordingTransport()


def init(release: str, attach_stacktrace: bool = False) -> None:
    sentry_sdk.init(
        dsn="http://k@127.0.0.1:9/1",
        transport=TRANSPORT,
        release=release,
        environment="production",
        server_name="web-1",
        # Only the sample package is the app; capture.py and the stdlib stay "not in app".
        in_app_include=["sampleapp"],
        project_root=str(HERE / "sampleapp"),
        attach_stacktrace=attach_stacktrace,
        max_breadcrumbs=0,
        default_integrations=True,
    )


def sanitise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sanitise(v) for k, v in value.items() if k not in ("vars", "modules", "extra")}
    if isinstance(value, list):
        return [sanitise(v) for v in value]
    if isinstance(value, str):
        for old, new in PATH_REWRITES:
            value = value.replace(old, new)
    return value


def save(name: str) -> None:
    assert len(TRANSPORT.events) == 1, f"{name}: expected one event, got {len(TRANSPORT.events)}"
    event = sanitise(TRANSPORT.events.pop())
    text = json.dumps(event, indent=1, ensure_ascii=False)
    leaked = [marker for marker in FORBIDDEN if marker in text]
    assert not leaked, f"{name}: machine path left in payload: {leaked}"
    (HERE / f"{name}.json").write_text(text + "\n")


def capture(name: str, fn: Callable[..., Any], *args: Any, **scope_args: Any) -> None:
    """Runs fn in a fresh scope, reports what it raises (or what it logged), saves the event."""
    with sentry_sdk.new_scope() as scope:
        if "fingerprint" in scope_args:
            scope.fingerprint = scope_args["fingerprint"]
        if "transaction" in scope_args:
            scope.set_transaction_name(scope_args["transaction"])
        try:
            fn(*args)
        except BaseException as exc:  # ExceptionGroup too
            sentry_sdk.capture_exception(exc)
    sentry_sdk.flush()
    save(name)


def report_unraised(name: str, exc: BaseException) -> None:
    """An exception created and reported without being raised has no traceback, hence no frames."""
    sentry_sdk.capture_exception(exc)
    save(name)


def load_release_1_1() -> None:
    """Swaps in the 1.1 source under the same module name, as a deploy would."""
    spec = importlib.util.spec_from_file_location(
        "sampleapp.checkout", HERE / "sampleapp" / "checkout_1_1.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sampleapp.checkout"] = module
    spec.loader.exec_module(module)
    globals()["checkout"] = module


def capture_release_1_0() -> None:
    init("shop@1.0.0")
    capture("checkout_web_r10", checkout.checkout_from_web, "ord-1", 0xDEADBEEF, 150)
    capture("checkout_api_r10", checkout.checkout_from_api, "ord-2", 0xCAFE, 99)
    capture("refund_r10", checkout.refund, "ord-3", 0xBEEF, 20)
    capture("json_payload_invalid", parsing.parse_payload, "{not json")
    capture("json_feed_invalid", parsing.import_feed, ['{"a": 1}', "[1, 2"])
    capture("int_quantity_abc", parsing.parse_quantity, "abc")
    capture("int_quantity_empty", parsing.parse_quantity, "")
    capture("keyerror_price", parsing.lookup_price, {"sku-1": 10}, "sku-2")
    capture("json_no_app_frames_brace", json.loads, "{")
    capture("json_no_app_frames_list", json.loads, "[1,")
    capture("fail_helper_reserve", inventory.reserve, "sku-1", 3)
    capture("fail_helper_reserve_other", inventory.reserve, "sku-77", 12)
    capture("fail_helper_release", inventory.release, "sku-9", 1)
    capture("recursion_shallow", tree.count_leaves, tree.chain(3), 2)
    capture("recursion_deep", tree.count_leaves, tree.chain(30), 25)
    capture("recursion_direct_shallow", tree.first_leaf, tree.chain(5), 2)
    capture("recursion_direct_deep", tree.first_leaf, tree.chain(40), 30)


def capture_chains() -> None:
    capture("chain_config_json_a", config.load_config, "{oops")
    capture("chain_config_json_b", config.load_config, "[1,")
    capture("chain_price_implicit", config.load_price, {}, "sku-7")
    capture("chain_setting_bad_json", config.load_setting, "{", "timeout")
    capture("chain_setting_missing_key", config.load_setting, "{}", "timeout")
    capture("zero_average", maths.average, [])
    capture("zero_ratio", maths.ratio, 1, 0)
    capture("zero_ratio_other", maths.ratio, 5, 0)


def capture_messages_and_values() -> None:
    at = datetime(2026, 11, 27, 18, 15, 46, tzinfo=UTC)
    capture("notify_ann", notify.send_welcome, "ann@example.com", uuid.UUID(int=1), 3, at)
    capture("notify_bob", notify.send_welcome, "bob@example.org", uuid.uuid4(), 5, datetime.now(UTC))
    report_unraised(
        "unraised_delivery_ann", notify.DeliveryFailed("could not deliver to ann@example.com (id 17)")
    )
    report_unraised(
        "unraised_delivery_bob", notify.DeliveryFailed("could not deliver to bob@example.org (id 4242)")
    )
    report_unraised("unraised_mailbox_full", notify.DeliveryFailed("mailbox of bob@example.org is full"))
    capture("log_sync_inventory", jobs.sync, "inventory", 3)
    capture("log_sync_billing", jobs.sync, "billing", 5)
    capture("log_sync_tenant_17", jobs.sync_tenant, 17, 3)
    capture("log_sync_tenant_42", jobs.sync_tenant, 42, 7)
    capture("log_exception_row_a", jobs.import_row, "a")
    capture("log_exception_row_b", jobs.import_row, "b-17")
    capture("message_quota_17", jobs.enforce_quota, 17, 3.5)
    capture("message_quota_42", jobs.enforce_quota, 42, 12.25)
    capture("message_slow_orders", jobs.report_slow_query, "orders", 1500)
    capture("message_slow_users", jobs.report_slow_query, "users", 30)
    init("shop@1.0.0", attach_stacktrace=True)
    capture("message_stack_quota_17", jobs.enforce_quota, 17, 3.5)
    capture("message_stack_quota_42", jobs.enforce_quota, 42, 1.0)
    capture("message_stack_slow_orders", jobs.report_slow_query, "orders", 1500)
    init("shop@1.0.0")


def capture_groups_and_fingerprints() -> None:
    capture("group_value_type", batch.run_batch, ["a", None])
    capture("group_type_value_value", batch.run_batch, [None, "b", "c"])
    capture("group_values_only", batch.run_batch, ["x", "y"])
    capture(
        "fp_default_acme", checkout.checkout_from_web, "ord-4", 0xAB, 1, fingerprint=["{{ default }}", "acme"]
    )
    capture(
        "fp_default_acme_api",
        checkout.checkout_from_api,
        "ord-5",
        0xCD,
        2,
        fingerprint=["{{ default }}", "acme"],
    )
    capture(
        "fp_default_globex",
        checkout.checkout_from_web,
        "ord-6",
        0xEF,
        3,
        fingerprint=["{{ default }}", "globex"],
    )
    capture("fp_only_default", checkout.checkout_from_web, "ord-7", 0x12, 4, fingerprint=["{{ default }}"])
    capture(
        "fp_gateway_charge", checkout.checkout_from_web, "ord-8", 0x34, 5, fingerprint=["payment-gateway"]
    )
    capture("fp_gateway_refund", checkout.refund, "ord-9", 0x56, 6, fingerprint=["payment-gateway"])
    variables = ["{{ error.type }}", "{{ transaction }}", "{{ stack.module }}", "{{ stack.function }}"]
    capture(
        "fp_vars_orders",
        checkout.refund,
        "ord-10",
        0x78,
        7,
        fingerprint=variables,
        transaction="/orders/{id}/",
    )
    capture(
        "fp_vars_refunds",
        checkout.refund,
        "ord-11",
        0x9A,
        8,
        fingerprint=variables,
        transaction="/refunds/{id}/",
    )


def capture_release_1_1() -> None:
    init("shop@1.1.0")
    load_release_1_1()
    capture("checkout_web_r11", checkout.checkout_from_web, "ord-12", 0xBADC0DE, 12_345)
    capture("checkout_api_r11", checkout.checkout_from_api, "ord-13", 0xFACADE, 7)


def main() -> None:
    capture_release_1_0()
    capture_chains()
    capture_messages_and_values()
    capture_groups_and_fingerprints()
    capture_release_1_1()
    print(f"saved {len(list(HERE.glob('*.json')))} payloads to {HERE.name}/")


if __name__ == "__main__":
    main()
