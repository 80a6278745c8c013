"""Demo flags for `make run` (called by triage's seed_demo command) and the demo app's SDK key.

The demo key is derived from SECRET_KEY (an HMAC of the project and environment) rather than
stored: SdkKey keeps only hashes, and the demo app, started by `make run` with the same secret,
can recompute it. Anyone who can read SECRET_KEY can already forge sessions, so deriving one
demo key from it gives nothing away; real keys stay random and are shown once.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from flags import changes, sdk_keys
from flags.models import SdkKey

DEMO_FLAGS = [
    {
        "key": "new-checkout", "name": "New checkout flow", "kind": "release", "team": "payments",
        "description": "The one-page checkout, rolling out to half the users. Kill it if payment errors rise.",
        "ticket": "SHOP-142", "repository_path": "shop/checkout.py",
        "environments": {"production": {"enabled": True, "rollout_percentage": 50}, "staging": {"enabled": True}},
    },
    {
        "key": "dark-mode", "name": "Dark mode", "kind": "experiment", "team": "web",
        "description": "A/B test of the dark theme.", "repository_path": "shop/templates/base.html",
        "environments": {"production": {"enabled": True, "rollout_percentage": 50}},
    },
    {
        "key": "search-v2", "name": "Search v2 backend", "kind": "ops", "team": "search",
        "description": "Routes search to the new cluster: beta users always, 20 % of the rest.",
        "repository_path": "shop/search.py",
        "environments": {"production": {"enabled": True, "rollout_percentage": 20, "rules": [
            {"name": "beta users", "conditions": [{"attribute": "beta", "op": "equals", "value": True}], "variant": "on"},
        ]}},
    },
]


def demo_sdk_key(project, environment: str = "production") -> str:
    """The demo server SDK key of the project's environment; creates its row if missing."""
    message = f"switchyard-demo-sdk-key:{project.id}:{environment}".encode()
    plaintext = sdk_keys.PREFIXES["server"] + hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]
    if not SdkKey.objects.filter(key_hash=sdk_keys.hash_key(plaintext)).exists():
        sdk_keys.create_sdk_key(project, environment, kind="server", label="demo app", source="command",
                                plaintext=plaintext)
    return plaintext


def seed_flags(project, owner) -> None:
    """Idempotent: creates the demo flags that are missing (owned by `owner`) and the demo key."""
    existing = set(project.flags.values_list("key", flat=True))
    for spec in DEMO_FLAGS:
        if spec["key"] not in existing:
            changes.create_flag(project, owner=owner, actor=owner, source="command", reason="demo data", **spec)
    demo_sdk_key(project, "production")
