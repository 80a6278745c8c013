"""Event → fingerprint: which group an event belongs to, and why.

The algorithm is versioned: each group stores ``Fingerprint.algorithm``, and a new
algorithm is a new module next to ``v1`` rather than an edit to it.
"""

from triage.fingerprint.model import Component, Fingerprint
from triage.fingerprint.parameterize import parameterize
from triage.fingerprint.rules import parse_rules
from triage.fingerprint.v1 import ALGORITHM, fingerprint_event

__all__ = ["ALGORITHM", "Component", "Fingerprint", "fingerprint_event", "parameterize", "parse_rules"]
