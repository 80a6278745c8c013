"""Keeps the ingest key cache in Redis in step with the database."""

import logging

import redis
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from triage.keys import publish_key
from triage.models import ProjectKey

log = logging.getLogger(__name__)


def _publish(key: ProjectKey, active: bool) -> None:
    def send():
        try:
            publish_key(redis.Redis.from_url(settings.REDIS_URL), key.public_key, key.project_id if active else None)
        except redis.RedisError:
            # Ingest falls back to the database on a miss, and local caches expire in a second.
            log.warning("could not publish key %s to Redis", key.public_key, exc_info=True)

    transaction.on_commit(send)


@receiver(post_save, sender=ProjectKey)
def key_saved(sender, instance: ProjectKey, **kwargs):
    _publish(instance, instance.is_active)


@receiver(post_delete, sender=ProjectKey)
def key_deleted(sender, instance: ProjectKey, **kwargs):
    _publish(instance, False)
