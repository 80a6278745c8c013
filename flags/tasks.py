"""Periodic flag tasks: thin wrappers around flags.stale."""

from celery import shared_task

from config.redis_clients import redis_client
from flags import stale


@shared_task(ignore_result=True)
def record_last_evaluated():
    """Persists Redis's last-evaluated times into Flag.last_evaluated_at (schedule: every minute)."""
    return stale.record_last_evaluated(redis_client())
