"""Fault injection for crash tests: SWITCHYARD_FAULT=<point> kills the process at that point.

Used by tests/triage/test_worker_crash.py to kill a real worker between its database commit and
its acknowledgement, deterministically. Unset in every real deployment.
"""

import os

_FAULT = os.environ.get("SWITCHYARD_FAULT", "")


def point(name: str) -> None:
    if _FAULT == name:
        os._exit(99)
