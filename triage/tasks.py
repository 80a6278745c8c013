"""Periodic tasks: thin wrappers around triage.grouping.counters and triage.retention."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.redis_clients import redis_client
from triage import health, retention
from triage.grouping import counters


@shared_task(ignore_result=True)
def roll_up_counts():
    client, now = redis_client(), timezone.now()
    rows = counters.roll_up_counts(client, now)
    health.record_roll_up(client, now.timestamp())  # only once it went through: /health/ sees a late one
    return rows


@shared_task(ignore_result=True)
def prune_events():
    return retention.prune_events(settings.SWITCHYARD["RETENTION_EVENTS_PER_PROJECT"])
