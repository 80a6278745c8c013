"""triage.fingerprint.javascript: V8 frame names, system frames and the SDK's wording."""

from __future__ import annotations

import pytest

from triage.fingerprint.javascript import function_name, is_javascript, is_system_file, thrown_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("load", "load"),
        ("CartStore.load", "load"),
        ("Object.saveOrder [as save]", "saveOrder"),
        ("Timeout.onTimeout [as _onTimeout]", "onTimeout"),
        ("new Invoice", "Invoice"),
        ("CreditNote.Invoice", "Invoice"),
        ("async loadUser", "loadUser"),
        ("async Promise.all", "all"),
        ("new async weird", "weird"),
        ("  Object.handleRequest  ", "handleRequest"),
        ("?", ""),
        ("Object.?", ""),
        ("<anonymous>", ""),
        ("Object.<anonymous>", ""),
        ("", ""),
        ("outer/<", ""),
    ],
)
def test_function_name_is_the_function_own_name(raw, expected):
    assert function_name(raw) == expected


@pytest.mark.parametrize(
    ("filename", "system"),
    [
        ("node:internal/timers", True),
        ("node:events", True),
        ("internal/process/task_queues.js", True),
        ("<anonymous>", True),
        ("native", True),
        ("/app/node_modules/@sentry/core/build/cjs/integrations/captureconsole.js", True),
        ("C:\\app\\node_modules\\@sentry\\node\\index.js", True),
        ("/app/node_modules/upstream-client/index.js", False),
        ("/app/sampleapp/cart.js", False),
        ("app:///dist/main.js", False),
    ],
)
def test_runtime_and_sdk_files_are_system_files(filename, system):
    assert is_system_file(filename) is system


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("'HttpError' captured as exception with message 'user 17 not found'", "HttpError: user 17 not found"),
        ("'HttpError' captured as exception", "HttpError"),
        ("Object captured as exception with keys: message, status", "Object captured as exception with keys: message, status"),
        ("user 17 not found", "user 17 not found"),
    ],
)
def test_thrown_value_drops_the_sdk_wrapping(value, expected):
    assert thrown_value(value) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"platform": "node"}, True),
        ({"platform": "javascript"}, True),
        ({"platform": "other", "sdk": {"name": "sentry.javascript.browser"}}, True),
        ({"platform": "python", "sdk": {"name": "sentry.python"}}, False),
        ({"platform": None, "sdk": "x"}, False),
        ({}, False),
    ],
)
def test_javascript_events_are_told_by_platform_or_sdk(event, expected):
    assert is_javascript(event) is expected
