"""Fingerprinting speed: µs per event and events per second, per algorithm, on the captured payloads.

    .venv/bin/python bench/fingerprint_bench.py              # Python and Node payloads, v1 and v2
    .venv/bin/python bench/fingerprint_bench.py --rounds 400

Pure CPU, no database: each algorithm fingerprints every captured event (tests/payloads/fingerprint
from sentry-sdk, tests/payloads/node from @sentry/node) ``--rounds`` times, several repeats, and the
fastest repeat counts (the others lost time to whatever else the machine was doing). CPU time of
this process, not wall time, for the same reason. The "+ learned helpers" line adds what the
digest asks of v2 beyond fingerprinting once a project has learned its raise-helpers: the
caller-decides fingerprint of the events whose crash site is one (triage.digest.events; the
observations' messages are parameterised once per frame and caller per batch, not per event).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.fingerprint import learn_raise_helpers, v1, v2, with_raise_helpers  # noqa: E402

PAYLOADS = {
    "python (sentry-sdk)": ROOT / "tests" / "payloads" / "fingerprint",
    "node (@sentry/node)": ROOT / "tests" / "payloads" / "node",
}


def load(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json")) if not p.stem.startswith("package")]


def v2_with_learning(events: list[dict]) -> Callable[[dict], object]:
    first = [v2.fingerprint_event(event) for event in events]
    known = learn_raise_helpers(fp.raise_helper.observation for fp in first if fp.raise_helper)

    def run(event: dict) -> object:
        return with_raise_helpers(v2.fingerprint_event(event), known).hash

    return run


def best_microseconds(fingerprint: Callable[[dict], object], events: list[dict], rounds: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(rounds):
            for event in events:
                fingerprint(event)
        best = min(best, (time.process_time() - started) / (rounds * len(events)))
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100, help="passes over the payloads per repeat")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print(f"{'payloads':22s} {'algorithm':32s} {'events':>6s} {'µs/event':>9s} {'events/s':>9s}")
    for label, folder in PAYLOADS.items():
        events = load(folder)
        runs = {
            v1.ALGORITHM: v1.fingerprint_event,
            v2.ALGORITHM: v2.fingerprint_event,
            f"{v2.ALGORITHM} + learned helpers": v2_with_learning(events),
        }
        for name, fingerprint in runs.items():
            micros = best_microseconds(fingerprint, events, args.rounds, args.repeats)
            print(f"{label:22s} {name:32s} {len(events):6d} {micros:9.1f} {1e6 / micros:9.0f}")


if __name__ == "__main__":
    main()
