"""Loaders for the sentry-sdk payloads captured by tests/payloads/fingerprint/capture.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from triage.fingerprint import Fingerprint, fingerprint_event

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "fingerprint"


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of one captured event, so a test may edit it."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.fixture(name="payload")
def payload_fixture() -> Callable[[str], dict[str, Any]]:
    return load_payload


@pytest.fixture(name="fingerprint_of")
def fingerprint_of_fixture() -> Callable[..., Fingerprint]:
    def fingerprint_of(name: str, rules: Sequence[str] = ()) -> Fingerprint:
        return fingerprint_event(load_payload(name), rules)

    return fingerprint_of
