"""OFREP evaluation throughput and latency against a running Switchyard (uvicorn + config.asgi).

    .venv/bin/python bench/ofrep_bench.py                  # starts its own server on a private DB/Redis
    .venv/bin/python bench/ofrep_bench.py --requests 5000 --concurrency 8
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/ofrep_bench.py

Prints, for a single-flag evaluation and a bulk evaluation of --flags flags:
- latency seen by one sequential client on loopback (p50/p90/p99), which bounds server time;
- the server's own time in the view (its Server-Timing header);
- throughput with --concurrency client threads, each on its own keep-alive connection.
The goal (issue 3): p99 under 5 ms of server time for a bulk evaluation of 50 flags.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

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

SINGLE = "/ofrep/v1/evaluate/flags/bench/flag-002"  # a targeted flag: rules + split
BULK = "/ofrep/v1/evaluate/flags"


def context(i: int) -> dict:
    return {"context": {"targetingKey": f"user-{i}", "plan": ("pro", "free", "team")[i % 3], "release": "shop@1.4.2"}}


def sequential(url: str, path: str, headers: dict, n: int) -> tuple[list[float], list[float]]:
    conn = Connection(url)
    for i in range(min(200, n)):  # warm-up: memo, connection, key cache
        conn.request("POST", path, context(i), headers)
    client_ms, server_ms = [], []
    for i in range(n):
        started = time.perf_counter()
        status, response_headers, _ = conn.request("POST", path, context(i), headers)
        client_ms.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        server_ms.append(float(response_headers["server-timing"].split("dur=")[1]))
    return client_ms, server_ms


def concurrent(url: str, path: str, headers: dict, n: int, threads: int) -> float:
    per_thread = n // threads
    errors = []

    def run(offset: int):
        conn = Connection(url)
        for i in range(per_thread):
            status, _, _ = conn.request("POST", path, context(offset + i), headers)
            if status != 200:
                errors.append(status)

    workers = [threading.Thread(target=run, args=(t * per_thread,)) for t in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:5]
    return per_thread * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server sharing DATABASE_URL/REDIS_URL (default: start one)")
    parser.add_argument("--flags", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers when starting a server")
    args = parser.parse_args()

    setup_django()
    _, _, key = bench_project("ofrep-bench", args.flags)
    headers = {"Authorization": f"Bearer {key}"}
    from django.conf import settings

    print(f"{os.cpu_count()} CPU(s), database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]}, "
          f"redis {settings.REDIS_URL.split(':')[0]}, {args.requests} requests per figure")
    url, server = (args.url, None) if args.url else start_server(args.workers)
    print(f"\n== config.asgi: {url} ({args.workers} uvicorn worker(s))")
    try:
        for label, path in (("single flag", SINGLE), (f"bulk {args.flags} flags", BULK)):
            client_ms, server_ms = sequential(url, path, headers, args.requests)
            rate = concurrent(url, path, headers, args.requests, args.concurrency)
            print(f"{label}")
            print(f"  round trip, 1 client : {percentiles(client_ms)}")
            print(f"  server time (answer) : {percentiles(server_ms)}")
            print(f"  sequential           : {1000 / (sum(client_ms) / len(client_ms)):8.0f} req/s")
            print(f"  {args.concurrency} clients            : {rate:8.0f} req/s")
    finally:
        stop_server(server)


if __name__ == "__main__":
    try:
        main()
    finally:
        teardown()
