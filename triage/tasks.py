"""Celery tasks: thin wrappers around triage.grouping.counters, triage.retention, triage.logs.retention and triage.alerts."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.redis_clients import redis_client
from triage import health, retention
from triage.alerts import deliver
from triage.alerts.deliver import DeliveryFailed
from triage.grouping import count_moves, counters


@shared_task(ignore_result=True)
def roll_up_counts():
    """Under the counts lock, so a merge's or unmerge's counts are copied whole; moves a crash or
    an outage left behind are applied first (triage.grouping.count_moves)."""
    client, now = redis_client(), timezone.now()
    with count_moves.counts_lock(client, wait_seconds=20):
        count_moves.apply_pending(client)
        rows = counters.roll_up_counts(client, now)
    health.record_roll_up(client, now.timestamp())  # only once it went through: /health/ sees a late one
    return rows


@shared_task(ignore_result=True)
def prune_events():
    """Event partitions made ahead, events past each project's budget (whole days dropped where
    every project is past it), event ids past the dedupe window, release health past its windows."""
    now, options = timezone.now(), settings.SWITCHYARD
    deleted = retention.prune_events(options["RETENTION_EVENTS_PER_PROJECT"], now)
    deleted += retention.prune_event_ids(now, options["EVENT_DEDUPE_DAYS"])
    return deleted + retention.prune_release_health(now)


@shared_task(ignore_result=True)
def prune_logs():
    """Log partitions made ahead; days past each project's age and size budget dropped (triage.logs.retention)."""
    from triage.logs import retention

    options = settings.SWITCHYARD
    pruned = retention.prune_logs(timezone.now(), options["LOG_RETENTION_DAYS"], options["LOG_RETENTION_MB"])
    return {"dropped_days": [d.isoformat() for d in pruned.dropped_days], "deleted_lines": pruned.deleted_lines}


@shared_task(ignore_result=True)
def watch_spikes():
    """Alerts for spikes and flag cohorts, and guarded rollouts (triage.attribution.guard)."""
    from triage.attribution import guard

    return len(guard.watch(redis_client(), timezone.now()))


_tunables = settings.SWITCHYARD  # read once: Celery's retry options are fixed when the task is made


# Backoff 0 means at once: Celery then waits default_retry_delay (its backoff factor is at least 1 s).
@shared_task(bind=True, ignore_result=True, autoretry_for=(DeliveryFailed,), max_retries=_tunables["ALERT_RETRIES"],
             retry_backoff=_tunables["ALERT_RETRY_BACKOFF_SECONDS"], retry_backoff_max=_tunables["ALERT_RETRY_BACKOFF_MAX_SECONDS"],
             default_retry_delay=_tunables["ALERT_RETRY_BACKOFF_SECONDS"])
def deliver_alert(self, delivery_id: int):
    """One attempt at one alert delivery (triage.alerts.deliver); a failed one is recorded and
    retried with exponential backoff and jitter, the last one marked failed."""
    deliver.attempt(delivery_id, final=self.request.retries >= self.max_retries, now=timezone.now())


@shared_task(bind=True, ignore_result=True, max_retries=12)
def suggest_owners(self, group_ids: list[int]):
    """New groups' responsible developer: suggested, recorded, auto-assigned where the project does
    (triage.attribution.assignment, queued by the digest once a batch is acknowledged)."""
    from triage.attribution import assignment
    from triage.stream.outage import is_infrastructure_error

    try:
        return assignment.suggest_for_groups(group_ids, timezone.now())
    except Exception as exc:
        if not is_infrastructure_error(exc):
            raise
        # The database or Redis is away: later, as the consumers wait (idempotent, so a repeat is harmless).
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, 60)) from None
