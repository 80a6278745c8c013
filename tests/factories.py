"""Plain factory functions for tests: objects with sensible defaults, overridable by keyword."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from projects.members import create_project

_BASE_EVENT = {
    "platform": "python",
    "level": "error",
    "release": "shop@1.4.0",
    "environment": "production",
    "exception": {
        "values": [
            {
                "type": "ValueError",
                "value": "bad price 12 for order ord-1",
                "module": None,
                "mechanism": {"type": "generic", "handled": True},
                "stacktrace": {
                    "frames": [
                        {"filename": "shop/views.py", "module": "shop.views", "function": "checkout", "lineno": 10, "in_app": True},
                        {"filename": "shop/pricing.py", "module": "shop.pricing", "function": "price", "lineno": 42, "in_app": True},
                    ]
                },
            }
        ]
    },
    "contexts": {
        "trace": {"trace_id": "358db1228a8b42ccac048e890f6a8e12", "span_id": "80739aeffd33fce8"},
        "flags": {"values": [{"flag": "new-checkout", "result": True}]},
    },
    "user": {"id": "u-1", "email": "ann@example.com"},
    "tags": {"tenant": "acme"},
}


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username=username, password="pw-" + username, email=f"{username}@example.com", **extra)


def make_project(name: str = "shop", members=()):
    """A project with its first DSN key (triage gives every new project one)."""
    return create_project(name, members=members)


def grant(user, *perms: str):
    """Gives the user permissions named "app_label.codename" and returns the user, with the
    permission caches Django keeps on the instance emptied so the grant shows at once."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for cache_name in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache_name, None)
    return user


def make_event(**overrides) -> dict:
    event = copy.deepcopy(_BASE_EVENT)
    event["event_id"] = uuid.uuid4().hex
    event["timestamp"] = timezone.now().isoformat()
    event.update(overrides)
    return event


def with_crash_site(event: dict, module: str, function: str, exc_type: str = "ValueError") -> dict:
    exc = event["exception"]["values"][-1]
    exc["type"] = exc_type
    exc["stacktrace"]["frames"][-1].update(module=module, function=function, filename=module.replace(".", "/") + ".py")
    return event


def envelope(event: dict, extra_items: list[tuple[dict, bytes]] = (), header: dict | None = None) -> bytes:
    payload = json.dumps(event).encode()
    head = header if header is not None else {"event_id": event.get("event_id"), "sent_at": timezone.now().isoformat()}
    parts = [json.dumps(head).encode(), json.dumps({"type": "event", "length": len(payload)}).encode(), payload]
    for item_header, item_payload in extra_items:
        parts += [json.dumps(item_header).encode(), item_payload]
    return b"\n".join(parts) + b"\n"


def minutes_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=n)
