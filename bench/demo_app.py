"""The demo shop that `make run` starts: a live app sending errors to Switchyard, so a new user sees a
spike and kills its flag within a few minutes.

It is a user's app as Switchyard expects one: errors go through the real `sentry-sdk` with a DSN,
flags are evaluated through the real `openfeature-sdk` and its OFREP provider against Switchyard's
own OFREP endpoint, and each evaluated flag travels with the errors (`add_feature_flag`). The story:

- From the start, a few errors a second from shop@1.3.2 and shop@1.4.0 (a KeyError in the cart, a
  chained payment timeout, a division by zero in reports, a warning message, and errors that only
  happen with "dark-mode" or "search-v2" on).
- After --spike-after seconds (150: the project needs a couple of minutes of usual traffic before a
  new group can stand out against it, triage.attribution.spikes), shop@1.5.0 rolls out. Its new checkout, behind the
  "new-checkout" flag, has a bug: ~30 TypeErrors a second from shop.checkout_v2 in apply_discount.
- Turn "new-checkout" off in production (the Disable button beside the spike chart): the next
  evaluations answer false, the new checkout is skipped, and the spike stops within seconds.

    python bench/demo_app.py --url http://127.0.0.1:8000 [--rate 3] [--spike-after 150] [--spike-rate 30]

It finds the demo project's DSN and the demo SDK key itself (Django settings come from the
environment `make run` passes on) and runs until killed.
"""

from __future__ import annotations

import argparse
import linecache
import os
import random
import signal
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("new-checkout", "dark-mode", "search-v2")
USERS = [f"u-{n}" for n in range(1, 41)]
TENANTS = ["acme", "globex", "initech", "umbrella"]

# The shop's code, compiled as modules named shop.* with their own file names, so the SDK sends
# real frames with module names, line numbers and source context, like any app's.
SHOP = {
    "shop.cart": '''
def line_total(item):
    """Price × quantity of one cart line."""
    return item["price"] * item["quantity"]


def cart_total(items):
    return sum(line_total(item) for item in items)
''',
    "shop.checkout_v2": '''
from decimal import Decimal

DISCOUNT_RATES = {"SPRING": 0.15, "VIP": 0.25}


def apply_discount(total, code):
    """The new one-page checkout's discount step (behind the new-checkout flag)."""
    rate = DISCOUNT_RATES.get(code, 0.0)
    return total - total * rate


def checkout(cart_total, code):
    total = Decimal(str(cart_total))
    return apply_discount(total, code)
''',
    "shop.payments": '''
class PaymentError(Exception):
    pass


def call_gateway(amount):
    raise TimeoutError("payment gateway did not answer within 10 s")


def charge(amount):
    try:
        return call_gateway(amount)
    except TimeoutError as exc:
        raise PaymentError(f"could not charge {amount} EUR") from exc
''',
    "shop.reports": '''
def average_basket(totals):
    return sum(totals) / len(totals)
''',
    "shop.theme": '''
TOKENS = {"surface-1": "#111", "text": "#eee"}


def render(template, dark):
    palette = TOKENS if dark else {}
    return palette["surface-2"]
''',
    "shop.search": '''
class SearchBackendError(Exception):
    pass


def v2_query(text):
    raise SearchBackendError(f"search-v2 cluster answered 503 for {text!r}")
''',
}


def load_shop() -> dict[str, types.ModuleType]:
    modules = {}
    for name, source in SHOP.items():
        filename = name.replace(".", "/") + ".py"
        lines = source.lstrip("\n").splitlines(keepends=True)
        linecache.cache[filename] = (len(source), None, lines, filename)  # source context for the SDK
        module = types.ModuleType(name)
        module.__file__ = filename
        exec(compile("".join(lines), filename, "exec"), module.__dict__)
        sys.modules[name] = modules[name] = module
    return modules


def demo_credentials(url: str) -> tuple[str, str]:
    """(DSN, OFREP SDK key) of the demo project, read with Django like `make run` configures it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connections

    from flags.demo import demo_sdk_key
    from projects.models import Project

    project = Project.objects.get(slug="demo")
    dsn, sdk_key = project.keys.active().first().dsn(url), demo_sdk_key(project)
    connections.close_all()
    return dsn, sdk_key


class Flags:
    """Evaluates the demo flags per user through OpenFeature + OFREP, each answer kept for `ttl` s."""

    def __init__(self, url: str, sdk_key: str, ttl: float = 2.0):
        from openfeature import api
        from openfeature.contrib.provider.ofrep import OFREPProvider

        api.set_provider(OFREPProvider(url, headers_factory=lambda: {"Authorization": f"Bearer {sdk_key}"}, timeout=2.0))
        self.client, self.ttl, self.cache = api.get_client("demo-shop"), ttl, {}

    def for_user(self, user: str, beta: bool) -> dict[str, bool]:
        from openfeature.evaluation_context import EvaluationContext

        cached = self.cache.get(user)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        context = EvaluationContext(targeting_key=user, attributes={"beta": beta})
        values = {key: bool(self.client.get_boolean_value(key, False, context)) for key in FLAGS}
        self.cache[user] = (time.monotonic() + self.ttl, values)
        return values


class Shop:
    def __init__(self, flags: Flags):
        self.flags, self.code, self.release = flags, load_shop(), "shop@1.4.0"

    def request(self, release: str, action) -> None:
        """One simulated request of a random user: evaluate flags, run `action`, report what fails."""
        import sentry_sdk

        user = random.choice(USERS)
        flags = self.flags.for_user(user, beta=user.endswith("7"))
        self.release = release
        with sentry_sdk.isolation_scope() as scope:
            scope.set_user({"id": user, "email": f"{user}@example.com"})
            scope.set_tag("tenant", random.choice(TENANTS))
            for key, value in flags.items():
                sentry_sdk.feature_flags.add_feature_flag(key, value)
            try:
                action(flags)
            except Exception as exc:
                sentry_sdk.capture_exception(exc)

    def checkout(self, flags):
        total = self.code["shop.cart"].cart_total([{"price": 19.9, "quantity": 2}])
        if flags["new-checkout"] and self.release == "shop@1.5.0":
            self.code["shop.checkout_v2"].checkout(total, random.choice(["SPRING", "VIP"]))

    def background(self, flags):
        import sentry_sdk

        roll = random.random()
        if roll < 0.3:
            self.code["shop.cart"].cart_total([{"quantity": 1}])
        elif roll < 0.5:
            self.code["shop.payments"].charge(round(random.uniform(5, 200), 2))
        elif roll < 0.6:
            self.code["shop.reports"].average_basket([])
        elif roll < 0.75 and flags["dark-mode"]:
            self.code["shop.theme"].render("product.html", dark=True)
        elif roll < 0.9 and flags["search-v2"]:
            self.code["shop.search"].v2_query(random.choice(["shoes", "red hat", "gift card"]))
        elif roll >= 0.9:
            sentry_sdk.capture_message("Slow checkout: payment step took over 3 s", level="warning")


def release_for(elapsed: float, spike_after: float) -> str:
    if elapsed < spike_after:
        return random.choices(["shop@1.3.2", "shop@1.4.0"], [1, 9])[0]
    return random.choices(["shop@1.4.0", "shop@1.5.0"], [2, 8])[0]


def run(url: str, rate: float, spike_after: float, spike_rate: float) -> None:
    import sentry_sdk

    sys.path.insert(0, str(ROOT))
    from config.processes import wait_until_serving

    try:
        wait_until_serving(url, timeout=120)
    except RuntimeError as exc:
        raise SystemExit(f"demo app: {exc}") from None
    dsn, sdk_key = demo_credentials(url)
    shop = Shop(Flags(url, sdk_key))
    sentry_sdk.init(
        dsn=dsn, environment="production", release="shop@1.4.0", in_app_include=["shop"], in_app_exclude=["__main__"],
        before_send=lambda event, hint: {**event, "release": shop.release}, default_integrations=False,
    )
    print(f"demo app: sending to {dsn}; shop@1.5.0 and its spike start in {spike_after:.0f} s", flush=True)
    start, tick = time.monotonic(), 0.1
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        while not stop:
            elapsed = time.monotonic() - start
            for _ in range(_arrivals(rate * tick)):
                shop.request(release_for(elapsed, spike_after), shop.background)
            if elapsed >= spike_after:
                for _ in range(_arrivals(spike_rate * tick)):
                    shop.request("shop@1.5.0", shop.checkout)
            time.sleep(tick)
    except KeyboardInterrupt:
        pass
    finally:
        sentry_sdk.flush(timeout=5)


def _arrivals(expected: float) -> int:
    """A whole number of arrivals with the given mean (keeps fractional rates honest)."""
    whole = int(expected)
    return whole + (1 if random.random() < expected - whole else 0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Switchyard's base URL")
    parser.add_argument("--rate", type=float, default=3.0, help="background errors per second")
    parser.add_argument("--spike-after", type=float, default=150.0, help="seconds before shop@1.5.0 rolls out")
    parser.add_argument("--spike-rate", type=float, default=30.0, help="checkouts per second on shop@1.5.0")
    args = parser.parse_args(argv)
    run(args.url.rstrip("/"), args.rate, args.spike_after, args.spike_rate)


if __name__ == "__main__":
    main()
