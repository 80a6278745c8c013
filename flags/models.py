"""Flags data model: flags, their state per environment, the audit log, SDK keys and triggers.

Models keep to fields, constraints and small derived properties. Every write goes through
flags.changes (flag state), flags.sdk_keys and flags.triggers, which also write the audit row
and publish the new configuration to Redis.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from flags import conf
from flags.validation import validate_key


class FlagKind(models.TextChoices):
    """Hodgson's toggle categories; each has a default lifetime (flags.conf LIFETIME_DAYS)."""

    RELEASE = "release", "Release"
    OPS = "ops", "Ops"
    EXPERIMENT = "experiment", "Experiment"
    PERMISSION = "permission", "Permission"


class ValueType(models.TextChoices):
    BOOLEAN = "boolean", "Boolean"
    STRING = "string", "String"
    NUMBER = "number", "Number"
    JSON = "json", "JSON"


class Source(models.TextChoices):
    """Where a change came from, recorded on every audit row."""

    ADMIN = "admin"
    DASHBOARD = "dashboard"
    API = "api"
    TRIGGER = "trigger"
    AUTOMATION = "automation"
    COMMAND = "command"
    GUARD = "guard"


class GuardMode(models.TextChoices):
    """What Switchyard does when a spike is pinned on the flag in that environment
    (triage.attribution.guard): nothing, record and alert what it would do, or disable the flag."""

    OFF = "off", "Off"
    DRY_RUN = "dry_run", "Dry run (alert only)"
    ENFORCE = "enforce", "Enforce (disable the flag)"


class SdkKeyKind(models.TextChoices):
    SERVER = "server", "Server (secret: backend apps)"
    CLIENT = "client", "Client (public: browser and mobile apps, client-side flags only)"


class Flag(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="flags")
    key = models.CharField(max_length=200, validators=[validate_key])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=16, choices=FlagKind.choices, default=FlagKind.RELEASE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_flags",
        help_text="The developer responsible for this flag.",
    )
    team = models.CharField(max_length=100, blank=True, default="")
    ticket = models.CharField(max_length=300, blank=True, default="", help_text="Issue or ticket URL or id.")
    repository_path = models.CharField(max_length=300, blank=True, default="", help_text="Where the flag is read in code.")
    value_type = models.CharField(max_length=16, choices=ValueType.choices, default=ValueType.BOOLEAN)
    # {variant name: JSON value}. A boolean flag has {"on": true, "off": false}.
    variants = models.JSONField(default=dict)
    off_variant = models.CharField(
        max_length=64, default="off", help_text="Served when the flag is disabled, and to users outside the rollout."
    )
    client_side = models.BooleanField(default=False, help_text="Client (browser/mobile) SDK keys may evaluate it.")
    lifetime_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Expected lifetime; empty uses the kind's default."
    )
    permanent = models.BooleanField(default=False, help_text="Never reported as stale (a permanent kill switch).")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="flag_unique_key_per_project")]
        ordering = ["key"]

    def __str__(self):
        return self.key

    @property
    def lifetime(self) -> dt.timedelta | None:
        """None: never expires (permanent, or a kind without a lifetime such as permission)."""
        if self.permanent:
            return None
        days = self.lifetime_days if self.lifetime_days is not None else conf.get("LIFETIME_DAYS").get(self.kind)
        return dt.timedelta(days=days) if days else None


class FlagEnvironment(models.Model):
    """A flag's state in one environment. A flag with no row for an environment is off there."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="environments")
    environment = models.CharField(max_length=64)
    enabled = models.BooleanField(default=False)
    default_variant = models.CharField(
        max_length=64, help_text="Served when enabled, to the share of users in the rollout."
    )
    rollout_percentage = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(100),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of targeting keys that get the default variant; the others get the off variant.",
    )
    # [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}], "variant": "on"}, …]
    rules = models.JSONField(default=list, blank=True)
    allow_keys = models.JSONField(default=list, blank=True, help_text="Targeting keys that always get the default variant.")
    deny_keys = models.JSONField(default=list, blank=True, help_text="Targeting keys that always get the off variant.")
    guard = models.CharField(max_length=16, choices=GuardMode.choices, default=GuardMode.OFF,
                             help_text="Disable the flag by itself when a spike is pinned on it.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flag", "environment"], name="flag_environment_unique")]
        ordering = ["environment"]

    def __str__(self):
        return self.environment

    @property
    def is_static(self) -> bool:
        """Serves one variant to everyone: off, or on with no targeting and a 0 %/100 % rollout."""
        if not self.enabled:
            return True
        return not (self.rules or self.allow_keys or self.deny_keys) and self.rollout_percentage in (0, 100)


class FlagChangeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # The one update allowed: Django's delete collector detaching rows from a deleted flag
        # (on_delete=SET_NULL); the rows keep flag_key, so the history survives.
        if kwargs != {"flag": None}:
            raise TypeError("the flag audit log is append-only")
        return super().update(**kwargs)

    def delete(self):
        raise TypeError("the flag audit log is append-only")


class FlagChange(models.Model):
    """One audit row: who changed what, when, from where, before/after and why. Append-only."""

    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    flag_key = models.CharField(max_length=200, blank=True, default="", help_text="Kept when the flag is deleted.")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="flag_changes")
    environment = models.CharField(max_length=64, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="flag_changes"
    )
    actor_label = models.CharField(max_length=200, blank=True, default="", help_text="Who, when there is no user.")
    source = models.CharField(max_length=16, choices=Source.choices)
    action = models.CharField(max_length=32)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = FlagChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "-created_at"], name="flag_change_project_time"),
            models.Index(fields=["flag", "-created_at"], name="flag_change_flag_time"),
        ]

    def __str__(self):
        return f"{self.action} {self.flag_key} {self.environment}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the flag audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the flag audit log is append-only")

    @property
    def who(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        return self.actor_label or self.source


class SdkKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class SdkKey(models.Model):
    """An OFREP key for one project and environment. Only its hash is stored."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="sdk_keys")
    environment = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=SdkKeyKind.choices, default=SdkKeyKind.SERVER)
    label = models.CharField(max_length=100, blank=True, default="")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="First characters, to tell keys apart.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = SdkKeyQuerySet.as_manager()

    class Meta:
        ordering = ["environment", "created_at", "id"]
        verbose_name = "SDK key"

    def __str__(self):
        return f"{self.project} / {self.environment} / {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TriggerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class Trigger(models.Model):
    """A secret, single-action URL that turns one flag off in one environment (for alerting)."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="triggers")
    environment = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True, default="")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TriggerQuerySet.as_manager()

    class Meta:
        ordering = ["environment", "created_at", "id"]

    def __str__(self):
        return f"{self.flag} / {self.environment} / {self.label or self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
