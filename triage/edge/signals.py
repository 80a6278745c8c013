"""Keeps the DSN key cache in Redis in step with the database, and gives each new project its
first DSN key (projects.members.create_project knows nothing of DSN keys)."""

import logging

import redis
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from config.redis_clients import redis_client
from projects.models import Project
from triage.edge import quotas
from triage.edge.keys import add_key, publish_key
from triage.models import ProjectKey

log = logging.getLogger(__name__)


def _publish(key: ProjectKey, active: bool) -> None:
    def send():
        try:
            publish_key(redis_client(), key.public_key, key.project_id if active else None)
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


@receiver(post_save, sender=Project)
def project_created(sender, instance: Project, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        add_key(instance, "Default")


@receiver(post_save, sender=Project)
def project_saved(sender, instance: Project, raw: bool = False, **kwargs):
    """Its quotas reach ingest within KEY_CACHE_SECONDS (triage.edge.quotas)."""
    if raw:
        return

    def send():
        try:
            quotas.limits_cache().publish(redis_client(), str(instance.id), quotas.project_limits(instance).encode())
        except redis.RedisError:
            log.warning("could not publish the quotas of project %s to Redis", instance.id, exc_info=True)

    transaction.on_commit(send)
