"""The stream-to-digest wiring: which digest each stream's consumer runs, in which order.

For the events stream: prepare each message (parse, fingerprint: triage.digest.events.prepare),
digest the batch in one transaction, then acknowledge and count it after the commit. The fault
point between the two is where the crash tests kill a worker (triage.stream.faults).
"""

from __future__ import annotations

import dataclasses
import time

from django.utils import timezone

from projects.models import Project
from triage import stream
from triage.digest import events, logs, sessions
from triage.stream import UndeliverableMessage, faults
from triage.stream.consumer import Handler

PROJECT_CACHE_SECONDS = 5.0


class ProjectCache:
    """Project id → its stack rules and fingerprint rules (texts), refreshed every few seconds, so
    a saved rule applies to new events within PROJECT_CACHE_SECONDS; unknown ids are undeliverable."""

    def __init__(self):
        self._rows: dict[int, tuple[str, str]] = {}
        self._loaded = 0.0

    def rules(self, project_id: int) -> tuple[str, str]:
        if project_id not in self._rows or time.monotonic() - self._loaded > PROJECT_CACHE_SECONDS:
            rows = Project.objects.values_list("id", "grouping_rules", "fingerprint_rules__rules")
            self._rows = {pid: (stack, fingerprint or "") for pid, stack, fingerprint in rows}
            self._loaded = time.monotonic()
        if project_id not in self._rows:
            raise UndeliverableMessage(f"project {project_id} does not exist")
        return self._rows[project_id]


def event_handler(partition: int = 0) -> Handler:
    projects = ProjectCache()

    def prepare(message_id, message):
        prepared = events.prepare(message_id, message, *projects.rules(message.project_id))
        return dataclasses.replace(prepared, partition=partition) if partition else prepared

    def write_and_ack(redis, stream_name, batch):
        counted = events.digest_events(batch, timezone.now())
        faults.point("after-commit")
        events.acknowledge(redis, stream_name, counted)

    return Handler(prepare=prepare, write_and_ack=write_and_ack)


def log_handler(partition: int = 0) -> Handler:
    return Handler(prepare=lambda message_id, message: logs.prepare_logs(message_id, message, partition),
                   write_and_ack=logs.write_logs)


def session_handler(partition: int = 0) -> Handler:
    return Handler(prepare=sessions.prepare_sessions, write_and_ack=sessions.write_sessions)


HANDLERS = {stream.EVENTS: event_handler, stream.LOGS: log_handler, stream.SESSIONS: session_handler}


def consumers_to_run(partitions: int, configured: int) -> list[tuple[str, int, bool]]:
    """(stream, partition, retiring) for each consumer a worker runs: every partition of the
    partitioned streams up to `partitions` (the configured number and the leftovers of a larger
    one, triage.stream.register_partitions), the ones past `configured` to be drained and retired."""
    return [(name, stream.partition_of(name), stream.partition_of(name) >= configured)
            for base in HANDLERS for name in stream.partition_streams(base, partitions)]


def consumer_options(stream_name: str, options: dict, partitions: int = 1) -> dict:
    """The tunables of one stream's consumer: a log message carries up to 100 lines (1,000 from
    the logs endpoint), so its batches count fewer messages than an event's; and log batches
    share no rows but their day's volume, so two consumers overlap their database work (most of
    a log batch's time is PostgreSQL maintaining the indexes, bench/logs_bench.py).
    LOG_CONSUMER_THREADS counts the consumers of all log partitions together: with as many
    partitions, one each already overlaps them, and each thread holds a database connection."""
    if stream.base_stream(stream_name) == stream.LOGS:
        threads = max(1, options["LOG_CONSUMER_THREADS"] // partitions)
        return {**options, "BATCH_SIZE": options["LOG_BATCH_SIZE"], "CONSUMER_THREADS": threads}
    return options
