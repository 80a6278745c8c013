"""Flags data model: flags, their state per environment, segments, schedules, approval requests,
the audit log, SDK keys and triggers.

Models keep to fields, constraints and small derived properties. Every write goes through
flags.changes (flags and their state), flags.segments, flags.schedules, flags.approvals,
flags.sdk_keys and flags.triggers, which also write the audit row and publish the new
configuration to Redis.
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
    SCHEDULE = "schedule"
    ALERT = "alert"


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
    # Empty means the key, as Unleash's groupId defaults to the flag's name: every flag buckets users
    # independently of the others, and the same users land in the same buckets on every install.
    salt = models.CharField(
        max_length=64, blank=True, default="",
        help_text="Mixed into the hash that buckets users; empty means the flag's key. A new salt re-randomises "
                  "who is in the rollout and who gets which weighted variant; two flags with one salt bucket alike.",
    )
    # [{"key": "new-checkout", "variants": ["on"]}]: flags of the same project that must serve one
    # of the given variants to the same context, or this flag serves its off variant.
    prerequisites = models.JSONField(default=list, blank=True)
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
    # {variant: percent}, summing to 100: the users in the rollout are split across the variants
    # (flags.weights). Empty: they all get the default variant.
    weights = models.JSONField(default=dict, blank=True, help_text="Weighted variants, e.g. {\"a\": 45, \"b\": 45, \"c\": 10}.")
    # [[start, end, variant], …] over the 10,000 variant buckets, derived from `weights` by
    # flags.weights.reallocate so that a weight change moves as few users as possible.
    allocation = models.JSONField(default=list, blank=True, editable=False)
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
        if self.weights and sum(1 for w in self.weights.values() if w) > 1 and self.rollout_percentage > 0:
            return False
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
    segment_key = models.CharField(max_length=64, blank=True, default="", help_text="The segment a segment change is about.")
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


class Segment(models.Model):
    """A reusable, named group of users of one project: keys listed in or out, or rules on context
    attributes. Flags' rules target it with the `in_segment` condition; editing it once changes
    every flag that uses it (flags.segments)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="segments")
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    included = models.JSONField(default=list, blank=True, help_text="Targeting keys always in the segment.")
    excluded = models.JSONField(default=list, blank=True, help_text="Targeting keys never in it (wins over the rest).")
    # [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}]}, …]: a context is in the
    # segment when every condition of any one rule holds.
    rules = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="segment_unique_key_per_project")]
        ordering = ["key"]

    def __str__(self):
        return self.key


class ScheduleStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"
    SCHEDULED = "scheduled", "Scheduled"
    PAUSED = "paused", "Paused"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Schedule(models.Model):
    """Changes of one flag in one environment applied at set times by the beat task
    (flags.schedules): "turn on at 09:00", or a progressive rollout 1 % → 5 % → 25 % → 100 %.

    Each step is a partial environment state and the minutes to wait after the previous step
    (the first waits from `start_at`). A guard or an alert on the flag pauses it; resuming
    restarts the wait of the next step."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="schedules")
    environment = models.CharField(max_length=64)
    # [{"changes": {"enabled": true, "rollout_percentage": 1}, "wait_minutes": 0}, …]
    steps = models.JSONField(default=list)
    start_at = models.DateTimeField(help_text="When the first step is due (once approved, if it needs approval).")
    next_step = models.PositiveIntegerField(default=0, help_text="Index of the next step to apply.")
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=ScheduleStatus.choices, default=ScheduleStatus.SCHEDULED)
    status_reason = models.TextField(blank=True, default="", help_text="Why it is paused, cancelled or done.")
    reason = models.TextField(help_text="Why the change is scheduled; every step's audit row carries it.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.flag} / {self.environment} / schedule {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (ScheduleStatus.PENDING_APPROVAL, ScheduleStatus.SCHEDULED, ScheduleStatus.PAUSED)


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPLIED = "applied", "Approved and applied"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class ApprovalPolicy(models.Model):
    """Which environments of a project need a second member's approval to enable or widen a flag."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="approval_policy")
    environments = models.JSONField(default=list, blank=True, help_text='e.g. ["production"]')
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "approval policies"

    def __str__(self):
        return f"{self.project}: {', '.join(self.environments) or 'no approvals'}"


class ApprovalRequest(models.Model):
    """A held change of one flag in one environment (a state change, or a schedule), waiting for
    a second member (flags.approvals). `before` is the state it was asked against: if the flag
    changes meanwhile, the request no longer shows what would happen and cannot be approved."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="approval_requests")
    environment = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True, help_text="The partial state asked for.")
    schedule = models.OneToOneField(Schedule, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="approval_request")
    before = models.JSONField(null=True, blank=True)
    widening = models.JSONField(default=list, help_text="What the change widens, in words.")
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.flag} / {self.environment} / request {self.pk}"
