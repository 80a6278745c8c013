"""Sending to the live server as an SDK does, for browser tests: the session's worker digests it."""

from __future__ import annotations

import urllib.request

from tests.factories import envelope


def send_events(url: str, project, events: list[dict]) -> None:
    key = project.keys.first()
    for event in events:
        request = urllib.request.Request(f"{url}/api/{project.id}/envelope/", data=envelope(event),
                                         headers={"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
