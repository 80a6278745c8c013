"""Which stream partition an accepted item goes to (triage.stream: one hash tag per partition).

A project sticks to one partition (its id modulo the number), so its events reach one consumer in
order and its groups' hot rows are written by one worker at a time. A project that sends more
than HOT_PROJECT_PERCENT of the recent events is spread by event id instead: one project must not
hold a whole cluster's work on one node. "Recent" is this process's last WINDOW items, which is a
fair sample, since the load balancer spreads the SDKs over the ingest processes; nothing is asked
of Redis on the hot path.
"""

from __future__ import annotations

import zlib
from collections import Counter, deque

WINDOW = 2000  # items remembered per process
MIN_SAMPLE = 200  # fewer seen than this (a process just started): no project is called hot yet


class PartitionChooser:
    def __init__(self, partitions: int, hot_percent: int):
        self.partitions = partitions
        self.hot_percent = hot_percent
        self._recent: deque[int] = deque(maxlen=WINDOW)
        self._counts: Counter[int] = Counter()

    def choose(self, project_id: int, event_id: str) -> tuple[int, bool]:
        """(partition, spread): spread when the project is hot and went by its event id."""
        if self.partitions == 1:
            return 0, False
        self._observe(project_id)
        if self.is_hot(project_id):
            return zlib.crc32(event_id.encode()) % self.partitions, True
        return project_id % self.partitions, False

    def is_hot(self, project_id: int) -> bool:
        seen = len(self._recent)
        return seen >= MIN_SAMPLE and self._counts[project_id] * 100 > self.hot_percent * seen

    def _observe(self, project_id: int) -> None:
        if len(self._recent) == WINDOW:
            oldest = self._recent[0]
            self._counts[oldest] -= 1
            if not self._counts[oldest]:
                del self._counts[oldest]
        self._recent.append(project_id)
        self._counts[project_id] += 1
