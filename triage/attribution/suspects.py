"""A group's flag values as the pages show them: each value's share of the group's events, and
whether the attribution (triage.attribution.evidence) found it suspect, with its evidence.

The share alone proves nothing (a flag on for everyone is on 100 % of every group's events);
suspicion comes only from the window comparison in triage.attribution.ranking.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.attribution.ranking import Suspicion


@dataclass(frozen=True)
class FlagShare:
    key: str
    value: str
    count: int
    share: float  # of the group's events, all time
    suspect: bool = False
    evidence: str = ""

    @property
    def filter(self) -> str:
        return f"{self.key}:{self.value}"


def flag_shares(counts: dict[tuple[str, str], int], total: int, suspicions: list[Suspicion] = ()) -> list[FlagShare]:
    """Every (key, value) of the group, suspects first (in their ranking's order), then by share."""
    total = max(total, max(counts.values(), default=0), 1)
    suspect = {(s.key, s.value): (rank, s.evidence) for rank, s in enumerate(suspicions) if s.suspect}
    shares = [FlagShare(key, value, count, count / total, (key, value) in suspect, suspect.get((key, value), (0, ""))[1])
              for (key, value), count in counts.items()]
    return sorted(shares, key=lambda s: (not s.suspect, suspect.get((s.key, s.value), (0, ""))[0], -s.share, s.key, s.value))


def group_flag_shares(group, suspicions: list[Suspicion] = ()) -> list[FlagShare]:
    """From the group's flag_counts (prefetched by the group list)."""
    return flag_shares({(f.key, f.value): f.count for f in group.flag_counts.all()}, group.event_count, suspicions)
