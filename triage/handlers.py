"""Which digest runs for which stream, wired for the consumer."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from triage import bulk, digest, faults, logs, stats, stream
from triage.consumer import Handler
from triage.models import ErrorGroup, Project

PROJECT_CACHE_SECONDS = 5.0


class ProjectCache:
    """Project id → grouping rules text, refreshed every few seconds; unknown ids are undeliverable."""

    def __init__(self):
        self._rows: dict[int, str] = {}
        self._loaded = 0.0

    def rules(self, project_id: int) -> str:
        if project_id not in self._rows or time.monotonic() - self._loaded > PROJECT_CACHE_SECONDS:
            self._rows = dict(Project.objects.values_list("id", "grouping_rules"))
            self._loaded = time.monotonic()
        if project_id not in self._rows:
            raise digest.UndeliverableMessage(f"project {project_id} does not exist")
        return self._rows[project_id]


def event_handler() -> Handler:
    projects = ProjectCache()

    def prepare(message_id, message):
        return digest.prepare(message_id, message, projects.rules(message.project_id))

    def write_and_ack(redis, stream_name, batch):
        counted = digest.digest_events(batch, timezone.now())
        faults.point("after-commit")
        stats.count_and_ack(redis, stream_name, counted, settings.SWITCHYARD["HOT_COUNT_TTL_SECONDS"])
        update_users_affected(redis, {c.group_id for c in counted if c.group_id and c.user_key})

    return Handler(prepare=prepare, write_and_ack=write_and_ack)


def update_users_affected(redis, group_ids: set[int]) -> None:
    if not group_ids:
        return
    counts = stats.users_affected(redis, group_ids)
    bulk.update_rows(ErrorGroup, [{"id": gid, "users_affected": n} for gid, n in counts.items()], ["users_affected"])


def log_handler() -> Handler:
    return Handler(prepare=logs.prepare_logs, write_and_ack=logs.write_logs)


HANDLERS = {stream.EVENTS: event_handler, stream.LOGS: log_handler}
