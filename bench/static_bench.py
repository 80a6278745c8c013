"""A cold group page in Chromium: bytes transferred and load time, static files included.

    python bench/static_bench.py                 # private SQLite + embedded Redis, a fresh uvicorn
    python bench/static_bench.py --debug         # the same server settings as `make run` (DEBUG on)
    python bench/static_bench.py --server-root /path/to/other/checkout   # e.g. the code before a change

Starts uvicorn on config.asgi (the server as deployed), writes a small project with
bench/generate_data.py, logs in once, then for each round opens a new browser context (an empty
cache, as a first visit) and navigates to a group page on the loopback. Prints, per round, the bytes
the browser received (Resource Timing transferSize, headers included), the load event time and the
time until the spike chart is drawn; then the median. The goal (issue 10): under 500 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import flags_stack  # noqa: E402  (bench/ is on sys.path)

from config.processes import free_port, wait_until_serving, web_command  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"]

TIMING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const bytes = nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0);
  const decoded = nav.decodedBodySize + resources.reduce((sum, r) => sum + r.decodedBodySize, 0);
  const scripts = resources.filter(r => r.initiatorType === "script").map(r => [r.name.split("/").pop(), r.transferSize, r.decodedBodySize]);
  const slowest = resources.map(r => [r.name.split("/").pop(), Math.round(r.startTime), Math.round(r.responseEnd)]);
  return {bytes, decoded, load: nav.loadEventEnd, scripts, slowest,
          steps: [nav.responseStart, nav.responseEnd, nav.domInteractive, nav.domContentLoadedEventEnd].map(Math.round)};
}"""


def start_server(debug: bool, server_root: Path) -> tuple[str, subprocess.Popen]:
    from django.conf import settings
    from django.db import connection

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db = connection.settings_dict
    database_url = f"sqlite:///{db['NAME']}" if db["ENGINE"].endswith("sqlite3") else os.environ["DATABASE_URL"]
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL, SWITCHYARD_BASE_URL=url,
               DEBUG="1" if debug else "0", PYTHONUNBUFFERED="1", PYTHONPATH=str(server_root))
    proc = subprocess.Popen(web_command(port), cwd=server_root, env=env)
    try:
        wait_until_serving(url, timeout=120, alive=lambda: proc.poll() is None)
    except RuntimeError:
        proc.kill()
        raise
    return url, proc


def main() -> None:
    parser = argparse.ArgumentParser(description="cold group page: bytes and load time in Chromium")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--debug", action="store_true", help="serve with DEBUG on, as `make run` does")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose code serves")
    args = parser.parse_args()
    flags_stack.setup_django()
    from generate_data import generate

    generate(groups=20, events=400, days=2, releases=3)
    url, proc = start_server(args.debug, args.server_root.resolve())
    try:
        run(url, args.rounds)
    finally:
        flags_stack.stop_server(proc)
        flags_stack.teardown()


def run(url: str, rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        login = browser.new_context()
        page = login.new_page()
        page.goto(url + "/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", "bench-password")
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: "/login/" not in u)
        page.goto(url + "/groups/?status=all&window=all")
        group = re.search(r'href="(/groups/\d+/)"', page.content())[1]
        cookies = login.cookies()
        login.close()
        print(f"cold loads of {url}{group} ({rounds} rounds, a new browser context each)")
        print(f"{'round':>5} {'transferred KB':>15} {'decoded KB':>11} {'load ms':>8} {'chart ms':>9}")
        loads, charts = [], []
        for i in range(rounds):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_cookies(cookies)
            page = context.new_page()
            page.goto(url + group, wait_until="load")
            try:
                chart = page.wait_for_function(
                    "() => document.querySelector('[data-loaded] .main-svg') ? performance.now() : false", timeout=30_000
                ).json_value()
            except Exception:
                raise SystemExit(f"the chart was not drawn: {page.inner_text('.chart-status')!r}") from None
            timing = page.evaluate(TIMING)
            loads.append(timing["load"])
            charts.append(chart)
            print(f"{i + 1:>5} {timing['bytes'] / 1024:15.1f} {timing['decoded'] / 1024:11.1f} {timing['load']:8.0f} {chart:9.0f}")
            if i == 0:
                print(f"      first byte, HTML done, DOM interactive, DOMContentLoaded (ms): {timing['steps']}")
                print(f"      resources (name, start ms, end ms): {timing['slowest']}")
                for name, transferred, decoded in timing["scripts"]:
                    print(f"      script {name}: {transferred / 1024:.1f} KB over the wire, {decoded / 1024:.1f} KB decoded")
            context.close()
        print(f"median: load {statistics.median(loads):.0f} ms, chart drawn {statistics.median(charts):.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
