"""Periodic flag tasks: thin wrappers around flags.stale and flags.schedules."""

from celery import shared_task
from django.utils import timezone

from config.redis_clients import redis_client
from flags import schedules, stale


@shared_task(ignore_result=True)
def record_last_evaluated():
    """Persists Redis's last-evaluated times into Flag.last_evaluated_at (schedule: every minute)."""
    return stale.record_last_evaluated(redis_client())


@shared_task(ignore_result=True)
def run_schedules():
    """Applies the scheduled steps that are due (schedule: every 10 s, settings.CELERY_BEAT_SCHEDULE)."""
    return len(schedules.run_due(timezone.now()))
