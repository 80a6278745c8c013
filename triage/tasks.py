"""Periodic tasks: thin wrappers around triage.stats and triage.retention."""

import redis
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from triage import retention, stats


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL)


@shared_task(ignore_result=True)
def roll_up_counts():
    return stats.roll_up_counts(_redis(), timezone.now())


@shared_task(ignore_result=True)
def prune_events():
    return retention.prune_events(settings.SWITCHYARD["RETENTION_EVENTS_PER_PROJECT"])
