"""Realistic pre-built events for the benchmarks: many stack traces, releases, flags, users, a spike.

Each event looks like what sentry-sdk 2.75 sends for a Django app (about 6 KB of JSON: frames
with context lines and locals, breadcrumbs, modules), so the figures hold for real traffic.
"""

from __future__ import annotations

import gzip
import json
import random
import time
import uuid

MODULES = ["shop.checkout", "shop.cart", "shop.pricing", "shop.search", "shop.accounts", "shop.payments",
           "shop.inventory", "shop.shipping", "shop.api.orders", "shop.api.users"]
FUNCTIONS = ["charge", "total", "price", "query", "login", "refund", "reserve", "quote", "create", "update",
             "validate", "serialize", "lookup", "apply_discount", "render"]
EXCEPTIONS = ["ValueError", "KeyError", "TypeError", "RuntimeError", "ZeroDivisionError", "PaymentDeclined",
              "TimeoutError", "IntegrityError"]
RELEASES = ["shop@1.4.0", "shop@1.4.1", "shop@1.5.0"]
FLAGS = ["new-checkout", "dark-mode", "search-v2", "fast-shipping", "promo-banner"]


def _frame(module: str, function: str, lineno: int, in_app: bool = True) -> dict:
    path = module.replace(".", "/") + ".py"
    return {
        "filename": path,
        "abs_path": f"/app/{path}" if in_app else f"/usr/lib/python3.11/{path}",
        "module": module,
        "function": function,
        "lineno": lineno,
        "context_line": f"        result = {function}(request, order_id=order_id, amount=amount)",
        "pre_context": [f"    # line {lineno - i}: handle {function}" for i in range(5, 0, -1)],
        "post_context": [f"    return result  # {i}" for i in range(5)],
        "vars": {"order_id": f"'ord-{lineno}'", "amount": str(lineno * 3), "request": "<WSGIRequest: POST '/checkout/'>",
                 "self": "<shop.views.CheckoutView object at 0x7f3a2c1d9e50>"},
        "in_app": in_app,
    }


def sites(n: int = 200, seed: int = 7) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    return [(rng.choice(MODULES), f"{rng.choice(FUNCTIONS)}_{i}", rng.choice(EXCEPTIONS)) for i in range(n)]


def _call_paths(site: tuple[str, str, str]) -> list[list[tuple[str, str]]]:
    """Each crash site is reached through a few fixed chains of callers, as in a real app."""
    rng = random.Random(hash(site) & 0xFFFF)
    return [[(rng.choice(MODULES), rng.choice(FUNCTIONS)) for _ in range(rng.randint(2, 6))] for _ in range(3)]


def make_event(rng: random.Random, site: tuple[str, str, str], release: str, flags: dict[str, bool]) -> dict:
    module, function, exc_type = site
    callers = [_frame("django.core.handlers.base", "_get_response", 197, in_app=False),
               _frame("shop.views", rng.choice(["checkout_view", "cart_view", "api_view"]), rng.randint(10, 90))]
    callers += [_frame(m, f, rng.randint(10, 300)) for m, f in rng.choice(_call_paths(site))]
    frames = callers + [_frame(module, function, rng.randint(10, 400))]
    user = f"u-{rng.randint(1, 5000)}"
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "release": release,
        "environment": rng.choice(["production", "production", "production", "staging"]),
        "server_name": f"web-{rng.randint(1, 8)}",
        "exception": {"values": [{"type": exc_type, "module": module,
                                  "value": f"order ord-{rng.randint(1, 10**6)} failed for {user}@example.com after {rng.randint(1, 5000)}ms",
                                  "mechanism": {"type": "django", "handled": False},
                                  "stacktrace": {"frames": frames}}]},
        "contexts": {"trace": {"trace_id": uuid.uuid4().hex, "span_id": uuid.uuid4().hex[:16]},
                     "flags": {"values": [{"flag": k, "result": v} for k, v in flags.items()]},
                     "runtime": {"name": "CPython", "version": "3.11.7"}},
        "user": {"id": user, "email": f"{user}@example.com"},
        "tags": {"tenant": rng.choice(["acme", "globex", "initech"]), "browser": "Firefox 131"},
        "request": {"url": "https://shop.example.com/checkout/", "method": "POST",
                    "headers": {"User-Agent": "Mozilla/5.0", "Accept": "text/html"}},
        "breadcrumbs": {"values": [{"category": "query", "message": f"SELECT * FROM orders WHERE id = {i}",
                                    "timestamp": time.time(), "level": "info"} for i in range(4)]},
        "modules": {"django": "5.2.19", "sentry-sdk": "2.75.0", "requests": "2.32.3", "celery": "5.7.0"},
        "sdk": {"name": "sentry.python.django", "version": "2.75.0"},
    }


def envelopes(count: int, spike_share: float = 0.3, seed: int = 1) -> list[bytes]:
    """`count` gzipped envelopes; a `spike_share` of them come from one crash site under one flag."""
    rng = random.Random(seed)
    all_sites = sites()
    spike_site = all_sites[0]
    bodies = []
    for i in range(count):
        spiking = rng.random() < spike_share
        flags = {k: rng.random() < 0.5 for k in FLAGS}
        if spiking:
            flags["new-checkout"] = True
        event = make_event(rng, spike_site if spiking else rng.choice(all_sites), RELEASES[i * 3 // max(count, 1)], flags)
        payload = json.dumps(event).encode()
        header = json.dumps({"event_id": event["event_id"], "sent_at": "2026-11-27T18:15:47.039355Z"}).encode()
        item = json.dumps({"type": "event", "content_type": "application/json", "length": len(payload)}).encode()
        bodies.append(gzip.compress(header + b"\n" + item + b"\n" + payload + b"\n", 6))
    return bodies
