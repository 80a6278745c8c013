"""Projects, their members and API tokens: what both feature apps (triage, flags) hang off.

The tables keep the names they had when these models lived in triage (`db_table`), so moving
them here moved no rows (projects/migrations/0001_initial.py is state-only).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Project(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="projects", blank=True)
    # Read by triage: frames that are helpers, never a crash site, one rule a line. Triage checks
    # the rules where they are edited (its admin), so this app need not know the grammar.
    grouping_rules = models.TextField(blank=True, default="")
    retention_events = models.PositiveIntegerField(
        null=True, blank=True, help_text="Events kept for this project; empty uses the site default."
    )
    # Log lines kept (triage.logs.retention): by age and by size; empty uses the site default.
    log_retention_days = models.PositiveIntegerField(null=True, blank=True, help_text="Days of log lines kept.")
    log_retention_mb = models.PositiveIntegerField(null=True, blank=True, help_text="Megabytes of log lines kept.")
    # Events accepted per window (triage.edge.quotas); empty: no quota of the project's own.
    event_quota_minute = models.PositiveIntegerField(null=True, blank=True, help_text="Events accepted per minute.")
    event_quota_hour = models.PositiveIntegerField(null=True, blank=True, help_text="Events accepted per hour.")
    event_quota_month = models.PositiveIntegerField(null=True, blank=True, help_text="Events accepted per calendar month (UTC).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "triage_project"
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiToken(models.Model):
    """A bearer token for the JSON APIs (groups and flags). Only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, default="")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "triage_apitoken"

    def __str__(self):
        return f"{self.user} {self.prefix}…"
