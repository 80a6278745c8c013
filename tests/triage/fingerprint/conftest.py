"""Loaders for the captured SDK payloads, and the algorithm fixtures.

Python events: tests/payloads/fingerprint/capture.py (sentry-sdk). Node events:
tests/payloads/node/capture.js (@sentry/node). Tests that take ``fingerprint_event`` or
``fingerprint_of`` run once per algorithm; the Node tests call switchyard-v2 by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from triage.fingerprint import ALGORITHMS, Fingerprint, learn_raise_helpers, v2, with_raise_helpers

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "fingerprint"
NODE_PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "node"


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of one captured Python event, so a test may edit it."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def load_node_payload(name: str) -> dict[str, Any]:
    """A fresh copy of one captured @sentry/node event."""
    return json.loads((NODE_PAYLOADS / f"{name}.json").read_text())


def payload_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json") if not p.stem.startswith("package"))


def fingerprint_learning(events: dict[str, dict[str, Any]], rules: Sequence[str] = ()) -> dict[str, Fingerprint]:
    """switchyard-v2 over a set of events as the pipeline runs it: every event observed, the
    raise-helpers learned from all of them, each event's fingerprint then given what was learned."""
    first = {name: v2.fingerprint_event(event, rules) for name, event in events.items()}
    known = learn_raise_helpers(fp.raise_helper.observation for fp in first.values() if fp.raise_helper)
    return {name: with_raise_helpers(fp, known) for name, fp in first.items()}


@pytest.fixture(name="payload")
def payload_fixture() -> Callable[[str], dict[str, Any]]:
    return load_payload


@pytest.fixture(name="algorithm", params=sorted(ALGORITHMS))
def algorithm_fixture(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(name="fingerprint_event")
def fingerprint_event_fixture(algorithm: str) -> Callable[..., Fingerprint]:
    return ALGORITHMS[algorithm]


@pytest.fixture(name="fingerprint_of")
def fingerprint_of_fixture(fingerprint_event: Callable[..., Fingerprint]) -> Callable[..., Fingerprint]:
    def fingerprint_of(name: str, rules: Sequence[str] = ()) -> Fingerprint:
        return fingerprint_event(load_payload(name), rules)

    return fingerprint_of


@pytest.fixture(name="node")
def node_fixture() -> Callable[..., Fingerprint]:
    """switchyard-v2's fingerprint of one captured Node event."""

    def node(name: str, rules: Sequence[str] = (), raise_helpers: Sequence[str] = ()) -> Fingerprint:
        return v2.fingerprint_event(load_node_payload(name), rules, raise_helpers)

    return node
