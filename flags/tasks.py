"""Periodic flag tasks: thin wrappers around flags.stale."""

from celery import shared_task
from django_redis import get_redis_connection

from flags import stale


@shared_task(ignore_result=True)
def record_last_evaluated():
    """Persists Redis's last-evaluated times into Flag.last_evaluated_at (schedule: every minute)."""
    return stale.record_last_evaluated(get_redis_connection("default"))
