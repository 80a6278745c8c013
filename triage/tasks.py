"""Periodic tasks: thin wrappers around triage.grouping.counters and triage.retention."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.redis_clients import redis_client
from triage import retention
from triage.grouping import counters


@shared_task(ignore_result=True)
def roll_up_counts():
    return counters.roll_up_counts(redis_client(), timezone.now())


@shared_task(ignore_result=True)
def prune_events():
    return retention.prune_events(settings.SWITCHYARD["RETENTION_EVENTS_PER_PROJECT"])
