"""Event → fingerprint: which group an event belongs to, and why.

The algorithm is versioned: each group stores ``Fingerprint.algorithm``, and a new algorithm is a
new module next to the old ones rather than an edit to them. ``ALGORITHM`` is the one new events
get; ``ALGORITHMS`` finds any of them by id, for the transition after an upgrade, when the previous
algorithm's fingerprint still leads an event to the group it made (triage.grouping.groups).
"""

from collections.abc import Callable

from triage.fingerprint import v1, v2
from triage.fingerprint.fingerprint_rules import FingerprintRule, parse_fingerprint_rules
from triage.fingerprint.model import Component, Fingerprint, RaiseHelper
from triage.fingerprint.parameterize import parameterize
from triage.fingerprint.raise_helpers import MIN_CALLERS, learn_raise_helpers, with_raise_helpers
from triage.fingerprint.rules import parse_rules
from triage.fingerprint.v2 import ALGORITHM, fingerprint_event

PREVIOUS_ALGORITHM = v1.ALGORITHM
ALGORITHMS: dict[str, Callable[..., Fingerprint]] = {
    v1.ALGORITHM: v1.fingerprint_event,
    v2.ALGORITHM: v2.fingerprint_event,
}

__all__ = [
    "ALGORITHM",
    "ALGORITHMS",
    "MIN_CALLERS",
    "PREVIOUS_ALGORITHM",
    "Component",
    "Fingerprint",
    "FingerprintRule",
    "RaiseHelper",
    "fingerprint_event",
    "learn_raise_helpers",
    "parameterize",
    "parse_fingerprint_rules",
    "parse_rules",
    "with_raise_helpers",
]
