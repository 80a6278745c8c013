"""Click-to-visible latency of a kill: from the disable request to the first OFREP answer, and
the first server-sent event, that show it. Goal (issue 3): under 100 ms on loopback. Issue 14:
a flag that requires the killed one (a prerequisite) must see the kill as fast as the killed flag.

    .venv/bin/python bench/propagation_bench.py                 # starts its own server(s)
    .venv/bin/python bench/propagation_bench.py --toggles 100

The "click" is one REST API call (`POST /api/0/projects/<id>/flags/<key>/disable/`, what the
dashboard button and a pipeline do) and, for comparison, a direct call of
flags.changes.disable_flag in this process (what automation does). Each toggle disables, then
re-enables (with a reason) so the next one starts from "on". Meanwhile one client polls the
single-flag endpoint back to back, as the OpenFeature Python provider does (one POST per
evaluation), a second client polls a flag that requires it, and one client holds the SSE stream
open.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flags_stack import (  # noqa: E402
    Connection,
    bench_project,
    percentiles,
    setup_django,
    start_server,
    stop_server,
    teardown,
)

KEY = "bench/flag-000"  # enabled at 100 %, no targeting
DEPENDANT = "bench/flag-004"  # enabled at 100 %, requires KEY to serve "on"


class Poller(threading.Thread):
    """Evaluates a flag back to back and remembers when each reason was first seen."""

    def __init__(self, url: str, sdk_key: str, key: str = KEY):
        super().__init__(daemon=True)
        self.key = key
        self.conn = Connection(url)
        self.headers = {"Authorization": f"Bearer {sdk_key}"}
        self.reason, self.seen_at, self.stop, self.polls = None, {}, False, 0
        self.changed = threading.Condition()

    def run(self):
        while not self.stop:
            _, _, body = self.conn.request("POST", f"/ofrep/v1/evaluate/flags/{self.key}", {"context": {"targetingKey": "u"}},
                                           self.headers)
            received = time.perf_counter()
            reason = json.loads(body)["reason"]
            self.polls += 1
            if reason != self.reason:
                with self.changed:
                    self.reason, self.seen_at[reason] = reason, received
                    self.changed.notify_all()

    def wait_for(self, reason: str, since: float) -> float:
        with self.changed:
            self.changed.wait_for(lambda: self.reason == reason and self.seen_at[reason] >= since, timeout=10)
            return self.seen_at[reason]


class Listener(threading.Thread):
    """Holds the SSE stream open and timestamps each event (by action)."""

    def __init__(self, stream_url: str):
        super().__init__(daemon=True)
        self.url, self.events, self.ready = stream_url, {}, threading.Event()
        self.arrived = threading.Condition()

    def run(self):
        self.response = requests.get(self.url, stream=True, timeout=60)
        try:
            for line in self.response.iter_lines(chunk_size=1):
                if line.startswith(b": connected"):
                    self.ready.set()
                if line.startswith(b"data: "):
                    received = time.perf_counter()
                    action = json.loads(line[6:])["action"]
                    with self.arrived:
                        self.events[action] = received
                        self.arrived.notify_all()
        except (requests.RequestException, OSError, AttributeError):
            pass  # closed by stop()

    def stop(self):
        self.response.close()

    def wait_for(self, action: str, since: float) -> float:
        with self.arrived:
            self.arrived.wait_for(lambda: self.events.get(action, 0) >= since, timeout=10)
            return self.events[action]


def measure(url: str, project, flag, owner, sdk_key: str, token: str, toggles: int) -> None:
    from flags import changes

    poller, dependant = Poller(url, sdk_key), Poller(url, sdk_key, DEPENDANT)
    poller.start()
    dependant.start()
    first = requests.post(f"{url}/ofrep/v1/evaluate/flags", json={}, headers={"Authorization": f"Bearer {sdk_key}"}, timeout=5)
    listener = Listener(first.json()["eventStreams"][0]["url"])
    listener.start()
    listener.ready.wait(10)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    disable_url = f"{url}/api/0/projects/{project.id}/flags/{KEY}/disable/"
    results = {name: [] for name in ("api call", "api → OFREP", "api → OFREP dependant", "api → SSE", "service → OFREP",
                                     "service → OFREP dependant", "service → SSE")}
    for i in range(toggles):
        poller.wait_for("STATIC", 0)
        dependant.wait_for("DEFAULT", 0)
        clicked = time.perf_counter()
        if i % 2 == 0:
            response = api.post(disable_url, json={"environment": "production", "reason": f"bench kill {i}"}, timeout=5)
            assert response.json()["changed"], response.text
            results["api call"].append((time.perf_counter() - clicked) * 1000)
            prefix = "api"
        else:
            assert changes.disable_flag(flag, "production", actor=owner, reason=f"bench kill {i}", source="automation")
            prefix = "service"
        results[f"{prefix} → OFREP"].append((poller.wait_for("DISABLED", clicked) - clicked) * 1000)
        results[f"{prefix} → OFREP dependant"].append((dependant.wait_for("DISABLED", clicked) - clicked) * 1000)
        results[f"{prefix} → SSE"].append((listener.wait_for("disabled", clicked) - clicked) * 1000)
        changes.enable_flag(flag, "production", actor=owner, reason="bench re-enable", source="automation")
        time.sleep(0.02)
    poller.stop = dependant.stop = True
    listener.stop()
    for name, samples in results.items():
        print(f"  {name:26s}: {percentiles(samples)}")
    print(f"  ({poller.polls + dependant.polls} OFREP polls in all)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toggles", type=int, default=60)
    args = parser.parse_args()
    setup_django()
    from flags import changes
    from flags.models import Flag
    from projects.tokens import create_token

    project, owner, sdk_key = bench_project("propagation-bench", 5)
    flag = Flag.objects.get(project=project, key=KEY)
    changes.update_flag(Flag.objects.get(project=project, key=DEPENDANT), {"prerequisites": [{"key": KEY, "variants": ["on"]}]},
                        actor=owner, source="command", reason="bench: a dependant of the killed flag")
    token = create_token(owner)
    url, server = start_server(1)
    print(f"\n== config.asgi: {url}, {args.toggles} kills (half through the API, half through the service)")
    try:
        measure(url, project, flag, owner, sdk_key, token, args.toggles)
    finally:
        stop_server(server)


if __name__ == "__main__":
    try:
        main()
    finally:
        teardown()
