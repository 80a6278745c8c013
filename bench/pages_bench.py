"""Server time of the dashboard pages: the group list (several filters and sorts), the group detail
page and the spike chart endpoint, measured one request at a time against a running server.

    python bench/generate_data.py --groups 10000 --events 1000000       # on the benchmark database
    uvicorn config.asgi:application --port 8700                          # same DATABASE_URL/REDIS_URL
    python bench/pages_bench.py --url http://127.0.0.1:8700 --rounds 100

Each sample is the wall time of one sequential request on localhost (so it includes the HTTP round
trip, well under a millisecond). Prints p50/p95/max per page; the goal is p95 < 150 ms on PostgreSQL
with 1M events and 10k groups.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import re
import statistics
import time
import urllib.parse
import urllib.request

from loadgen import percentile  # bench/ is on sys.path when this script runs

LIST_VIEWS = [
    "/groups/",
    "/groups/?sort=events",
    "/groups/?sort=last_seen&window=7d",
    "/groups/?status=all&window=all&sort=users",
    "/groups/?flag=new-checkout%3Atrue&window=14d",
    "/groups/?environment=staging&window=7d",
    "/groups/?window=14d&page=5",
    "/groups/?assignee=me&window=all",
]


class Session:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[float, str]:
        start = time.perf_counter()
        with self.opener.open(self.base + path, timeout=30) as response:
            body = response.read().decode()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
        return (time.perf_counter() - start) * 1000, body

    def login(self, username: str, password: str) -> None:
        _, page = self.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=30) as response:
            if "/login/" in response.geturl():
                raise SystemExit("login failed")


def main() -> None:
    parser = argparse.ArgumentParser(description="p50/p95 server time of the dashboard pages")
    parser.add_argument("--url", default="http://127.0.0.1:8700")
    parser.add_argument("--user", default="bench")
    parser.add_argument("--password", default="bench-password")
    parser.add_argument("--rounds", type=int, default=100, help="requests per page kind")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="also per list view")
    args = parser.parse_args()
    session = Session(args.url.rstrip("/"))
    session.login(args.user, args.password)
    ids = set()
    for path in LIST_VIEWS:
        ids |= set(re.findall(r'data-group-id="(\d+)"', session.get(path)[1]))
    ids = sorted(ids)
    if not ids:
        raise SystemExit("no groups listed: run bench/generate_data.py first")
    pages = {
        "list": lambda i: LIST_VIEWS[i % len(LIST_VIEWS)],
        "detail": lambda i: f"/groups/{random.choice(ids)}/",
        "chart 1h": lambda i: f"/groups/{random.choice(ids)}/chart/?range=1h",
        "chart 14d": lambda i: f"/groups/{random.choice(ids)}/chart/?range=14d",
    }
    print(f"{len(ids)} groups sampled; {args.rounds} requests per page after {args.warmup} warm-up requests")
    print(f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    by_list_view: dict[str, list[float]] = {}
    for name, path_for in pages.items():
        for i in range(args.warmup):
            session.get(path_for(i))
        samples = []
        for i in range(args.rounds):
            path = path_for(i)
            samples.append(session.get(path)[0])
            if name == "list":
                by_list_view.setdefault(path, []).append(samples[-1])
        print(f"{name:<46} {statistics.median(samples):8.1f} {percentile(samples, 95):8.1f} {max(samples):8.1f}")
    if args.verbose:
        for path, samples in by_list_view.items():
            print(f"  {path:<44} {statistics.median(samples):8.1f} {percentile(samples, 95):8.1f} {max(samples):8.1f}")


if __name__ == "__main__":
    main()
