"""Triage data model: DSN keys, releases, error groups and their events, counts and activity.

Models keep to fields, constraints and small derived properties; the pipeline stages that fill
them (edge → stream → digest → fingerprint → grouping and counts) are the packages beside this
module. Project itself lives in the projects app, which flags shares.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from projects.models import Project


def _new_public_key() -> str:
    return secrets.token_hex(16)


class ProjectKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ProjectKey(models.Model):
    """A DSN key. A project has several; each can be revoked without touching the others."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(max_length=100, default="Default")
    public_key = models.CharField(max_length=32, unique=True, default=_new_public_key)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectKeyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.project} / {self.label}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def dsn(self, base_url: str | None = None) -> str:
        base = (base_url or settings.SWITCHYARD_BASE_URL).rstrip("/")
        scheme, _, host = base.partition("://")
        return f"{scheme}://{self.public_key}@{host}/{self.project_id}"


class Release(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=200)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="release_unique_version")]
        ordering = ["-first_seen"]

    def __str__(self):
        return self.version


class GroupStatus(models.TextChoices):
    UNRESOLVED = "unresolved"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class GroupSubstatus(models.TextChoices):
    NEW = "new"
    ONGOING = "ongoing"
    REGRESSED = "regressed"
    NONE = ""


class ErrorGroup(models.Model):
    """All events that share one fingerprint: one bug, fixed once."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="groups")
    fingerprint = models.CharField(max_length=64)
    algorithm = models.CharField(max_length=32)
    components = models.JSONField(default=list)
    title = models.CharField(max_length=255)
    culprit = models.CharField(max_length=255, blank=True, default="")
    level = models.CharField(max_length=16, default="error")
    status = models.CharField(max_length=16, choices=GroupStatus.choices, default=GroupStatus.UNRESOLVED)
    substatus = models.CharField(max_length=16, choices=GroupSubstatus.choices, default=GroupSubstatus.NEW, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    event_count = models.PositiveBigIntegerField(default=0)
    users_affected = models.PositiveIntegerField(default=0)
    first_release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_groups"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # "Resolve in next release": the release that was newest when resolved; only a later one regresses.
    resolved_in_release = models.CharField(max_length=200, blank=True, default="")
    ignore_until = models.DateTimeField(null=True, blank=True)
    ignore_until_count = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "fingerprint"], name="group_unique_fingerprint"),
        ]
        indexes = [
            models.Index(fields=["project", "status", "-last_seen"], name="group_status_last_seen"),
            models.Index(fields=["project", "-event_count"], name="group_event_count"),
        ]

    def __str__(self):
        return self.title


class GroupFingerprintKind(models.TextChoices):
    TRANSITION = "transition", "found by the previous algorithm"
    RAISE_HELPER = "raise_helper", "its caller, were its crash site a raise-helper"
    MERGED = "merged", "merged in from another group"


class GroupFingerprint(models.Model):
    """A fingerprint that finds a group besides ErrorGroup.fingerprint (triage.grouping.groups).

    Either a newer algorithm's fingerprint of an event the previous algorithm's fingerprint led
    here during the transition after an upgrade, or, for a group made from an event whose crash
    site may be a raise-helper, that event's caller-decides fingerprint, so the group keeps its
    events once the helper is learned (triage.fingerprint.raise_helpers), or the fingerprints of
    a group merged into this one by hand (triage.grouping.regroup), so its events keep coming here.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="extra_fingerprints")
    fingerprint = models.CharField(max_length=64)
    algorithm = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=GroupFingerprintKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "fingerprint"], name="group_fingerprint_unique")]


class FingerprintTransition(models.Model):
    """A project whose groups were made by an older algorithm. For SWITCHYARD
    FINGERPRINT_TRANSITION_DAYS from ``started_at`` (the upgrade's migration), its events are
    fingerprinted by both, and the older fingerprint still finds the group it made."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="+")
    previous_algorithm = models.CharField(max_length=32)
    started_at = models.DateTimeField()


class RaiseHelperCall(models.Model):
    """An in-app frame seen raising for a caller, with (the md5 of) what it said: a frame seen
    raising for several callers with messages of their own is a raise-helper."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    frame = models.CharField(max_length=255)
    caller = models.CharField(max_length=255)
    message = models.CharField(max_length=32)
    first_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "frame", "caller", "message"], name="raise_helper_call_unique"),
        ]


class ErrorEvent(models.Model):
    """One stored event. On PostgreSQL the table is partitioned by day on `received_at`
    (triage.event_partitions), its primary key (id, received_at); SQLite keeps a plain table.
    Nothing points at an event by foreign key (a key into a partitioned table would have to
    carry `received_at` too): pages and the API find one by its event_id."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=32)
    # The stream entry that stored it: tells a redelivery (count it) from a re-sent copy (don't).
    stream_id = models.CharField(max_length=40, blank=True, default="")
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    environment = models.CharField(max_length=64, blank=True, default="")
    level = models.CharField(max_length=16, default="error")
    title = models.CharField(max_length=255)
    user_key = models.CharField(max_length=200, blank=True, default="")
    trace_id = models.CharField(max_length=64, blank=True, default="")
    flags = models.JSONField(default=dict)
    call_path_hash = models.CharField(max_length=32, blank=True, default="")
    # The fingerprint that led the event to its group (one of the group's: unmerge splits by it).
    # Empty for events stored before fingerprints were recorded.
    # A database default too: writers that list their columns (COPY in bench/generate_data.py, an
    # older worker during a rolling upgrade) leave it empty rather than fail.
    fingerprint = models.CharField(max_length=64, blank=True, default="", db_default="")
    # The event as the SDK sent it: kept as text so the worker never re-serialises 6 KB per event.
    payload = models.TextField()

    class Meta:
        # No unique (project, event_id): PostgreSQL requires every unique key of a partitioned
        # table to contain the partition key, so duplicates are kept out by EventId instead.
        indexes = [
            models.Index(fields=["project", "event_id"], name="event_project_event_id"),  # an event's page and API
            models.Index(fields=["project", "-received_at", "-id"], name="event_project_received"),  # retention
            models.Index(fields=["group", "-received_at"], name="event_group_received"),
            models.Index(fields=["project", "trace_id"], name="event_project_trace"),  # a trace's page, and a log line's group (triage.logs.query)
            models.Index(fields=["release", "received_at"], name="event_release_received"),  # a release's chart
        ]

    def __str__(self):
        return self.event_id


class EventId(models.Model):
    """An event_id a project's event was stored under, kept for SWITCHYARD EVENT_DEDUPE_DAYS.

    Its unique key makes a redelivered or re-sent event a no-op (triage.digest.events), which the
    partitioned event table cannot: a re-sent copy is received later, so it would land in another
    partition under another key. A small plain table: about 100 bytes a row against the event's
    payload, pruned by age (triage.retention.prune_event_ids)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=32)
    stream_id = models.CharField(max_length=40, blank=True, default="")  # the stream entry that stored it
    received_at = models.DateTimeField()  # which partition holds the event

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "event_id"], name="event_id_unique")]
        indexes = [models.Index(fields=["received_at"], name="event_id_received")]


class Breakdown(models.Model):
    """A count of events by one dimension, with when the first and last of them arrived. The
    digest upserts all of these alike (triage.digest.events)."""

    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        abstract = True


class GroupRelease(Breakdown):
    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="release_counts")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="group_counts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "release"], name="group_release_unique")]


class GroupEnvironment(Breakdown):
    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="environment_counts")
    environment = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "environment"], name="group_environment_unique")]


class GroupFlag(Breakdown):
    """How many of a group's events carried a flag key with a value (the flag's evaluated result)."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="flag_counts")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "key", "value"], name="group_flag_unique")]
        indexes = [models.Index(fields=["key", "value"], name="group_flag_key_value")]


class ProjectFlag(Breakdown):
    """Baseline: flag values over all of a project's error events, to tell suspect flags apart."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="flag_counts")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "key", "value"], name="project_flag_unique")]


class GroupTagValue(Breakdown):
    """How many of a group's events carried a tag with a value (triage.digest.tags): the group
    page's tag breakdowns and the list's tag search read these, never the events."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="tag_counts")
    key = models.CharField(max_length=32)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "key", "value"], name="group_tag_value_unique")]
        indexes = [models.Index(fields=["key", "value"], name="group_tag_key_value")]


class GroupCallPath(Breakdown):
    """A distinct chain of in-app callers that reached a group's crash site."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="call_paths")
    path_hash = models.CharField(max_length=32)
    frames = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "path_hash"], name="group_call_path_unique")]


class GroupMinuteCount(models.Model):
    """Per-minute event counts, rolled up from the hot counters in Redis."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="minute_counts")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "minute"], name="group_minute_unique")]


class LogLine(models.Model):
    """One log line: sent by sentry-sdk (`log` envelope items) or posted to the logs endpoint.

    Partitioned by day on `timestamp` on PostgreSQL (triage.partitions; the table and its
    indexes are made by triage.logs.schema, not from this Meta), a plain table on SQLite.
    `project` has no database constraint: deleting a project removes its lines in one statement
    (triage.logs.store.delete_project_lines), never by collecting millions of rows in Python."""

    project = models.ForeignKey(Project, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    timestamp = models.DateTimeField()
    level = models.CharField(max_length=8)  # trace, debug, info, warn, error, fatal
    message = models.TextField()
    template = models.TextField(blank=True, default="")  # `sentry.message.template`: the line without its values
    logger = models.CharField(max_length=200, blank=True, default="")
    trace_id = models.CharField(max_length=32, blank=True, default="")
    span_id = models.CharField(max_length=16, blank=True, default="")
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    service = models.CharField(max_length=200, blank=True, default="")  # `service.name`, else `server.address`
    attributes = models.JSONField(default=dict)  # name → value, as sent
    # The stream entry and the line's place in it: a redelivered batch inserts nothing twice.
    stream_id = models.CharField(max_length=40)
    position = models.PositiveIntegerField()

    def __str__(self):
        return self.message[:80]


class LogVolume(models.Model):
    """Lines and bytes a project stored per day: what size retention reads (triage.logs.retention).
    Counted in the transaction that inserts the lines, from the lines actually inserted, so a
    redelivered batch counts nothing twice."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    lines = models.PositiveBigIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "day"], name="logvolume_unique_day")]


class GroupRedirect(models.Model):
    """A group merged into another one: its page, links and stray counts lead to ``group``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    previous_group_id = models.BigIntegerField(unique=True)
    group = models.ForeignKey("ErrorGroup", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()


class CountMove(models.Model):
    """Counts in Redis still to follow a merge or an unmerge that committed (an outbox): written
    in the regrouping's transaction, deleted once applied (triage.grouping.count_moves)."""

    kind = models.CharField(max_length=8)  # "merge" or "split"
    data = models.JSONField()
    created_at = models.DateTimeField()


class GroupActivityKind(models.TextChoices):
    RESOLVED = "resolved"
    RESOLVED_IN_NEXT_RELEASE = "resolved_in_next_release"
    IGNORED = "ignored"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    FLAG_DISABLED = "flag_disabled"
    REGRESSED = "regressed"
    SUGGESTED = "suggested"
    MERGED = "merged"
    UNMERGED = "unmerged"


class GroupActivity(models.Model):
    """One triage decision on a group (who resolved, ignored, assigned it, or killed a flag from it)."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=32, choices=GroupActivityKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["group", "-created_at"], name="group_activity_time")]

    def __str__(self):
        return f"{self.kind} {self.group_id}"


def _new_alert_secret() -> str:
    return secrets.token_urlsafe(32)


class AlertTrigger(models.TextChoices):
    NEW_GROUP = "new_group", "a new group"
    REGRESSION = "regression", "a regression"
    SPIKE = "spike", "a spike above a score"
    FLAG_COHORT = "flag_cohort", "a flag cohort's affected rate above a threshold"
    GUARD = "guard", "a guarded flag disabled (or, in dry run, would have been)"


class AlertFormat(models.TextChoices):
    JSON = "json", "JSON signed with HMAC-SHA256"
    SLACK = "slack", "Slack-compatible"


class AlertRule(models.Model):
    """Whom to tell when a trigger fires in a project (triage.alerts): a webhook, emails, or both."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100)
    trigger = models.CharField(max_length=16, choices=AlertTrigger.choices)
    # The spike score or the cohort's affected rate at or above which the rule fires.
    threshold = models.FloatField(null=True, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    format = models.CharField(max_length=8, choices=AlertFormat.choices, default=AlertFormat.JSON)
    emails = models.JSONField(default=list, blank=True)
    # Signs the JSON webhook's body (X-Switchyard-Signature); shown once, when the rule is made.
    secret = models.CharField(max_length=64, default=_new_alert_secret)
    enabled = models.BooleanField(default=True)
    # At most one delivery per rule and group (or flag) in this many minutes; 0 for no limit.
    repeat_minutes = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class AlertChannel(models.TextChoices):
    WEBHOOK = "webhook"
    EMAIL = "email"


class AlertStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class AlertDelivery(models.Model):
    """One message of a fired rule to one target, with every attempt's outcome. No rule: a message
    to one person (triage.alerts.notify_user)."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    fired_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, blank=True, default="")
    group = models.ForeignKey(ErrorGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    flag_key = models.CharField(max_length=200, blank=True, default="")
    reason = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=8, choices=AlertChannel.choices)
    target = models.CharField(max_length=500)
    status = models.CharField(max_length=8, choices=AlertStatus.choices, default=AlertStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        indexes = [models.Index(fields=["rule", "-fired_at"], name="alert_delivery_rule_time")]

    def __str__(self):
        return f"{self.trigger} → {self.target}"


class ProjectOwnership(models.Model):
    """A project's ownership rules (CODEOWNERS syntax: triage.attribution.codeowners) and whether
    its new groups are assigned to their suggested developer (triage.attribution.owners)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="ownership")
    rules = models.TextField(blank=True, default="")
    auto_assign = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class ProjectFingerprintRules(models.Model):
    """A project's fingerprint rules (triage.fingerprint.fingerprint_rules): which events group
    together by what they say, whatever their stacks. Changed only through
    triage.grouping.rule_changes, which writes a FingerprintRulesChange for each change."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="fingerprint_rules")
    rules = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class FingerprintRulesChange(models.Model):
    """The audit of a project's fingerprint rules: who changed them, when, from what, to what, why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    before = models.TextField(blank=True, default="")
    after = models.TextField(blank=True, default="")
    reason = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]


class ReleaseCommit(models.Model):
    """A commit registered with a release (its API, or Sentry's release API for sentry-cli).
    ``position`` keeps the order sent, newest first as `git log` lists them."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="commits")
    position = models.PositiveIntegerField()
    commit_id = models.CharField(max_length=64)
    repository = models.CharField(max_length=200, blank=True, default="")
    author_email = models.CharField(max_length=254, blank=True, default="")
    author_name = models.CharField(max_length=200, blank=True, default="")
    message = models.TextField(blank=True, default="")
    files = models.JSONField(default=list)  # repository paths the commit touched

    class Meta:
        ordering = ["release", "position"]
        constraints = [models.UniqueConstraint(fields=["release", "commit_id"], name="release_commit_unique")]


class SuggestionSource(models.TextChoices):
    FLAG_OWNER = "flag_owner", "owner of the suspect flag"
    OWNERSHIP = "ownership", "ownership rules"
    COMMIT = "commit", "suspect commit"


class GroupSuggestion(models.Model):
    """The developer last suggested for a group, kept so lists (the developers page) read it in
    their one query; the group's history has each suggestion as it was made."""

    group = models.OneToOneField(ErrorGroup, on_delete=models.CASCADE, primary_key=True, related_name="suggestion")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=SuggestionSource.choices)
    reason = models.TextField()
    updated_at = models.DateTimeField()


# --- Release health: sentry-sdk's `session` and `sessions` items (triage.digest.sessions) ---------


class SessionMessage(models.Model):
    """A release-health stream message whose counts are in: its redelivery adds nothing."""

    key = models.CharField(max_length=32, unique=True)  # the id ingest gave the item (IngestMessage.event_id)
    applied_at = models.DateTimeField()


class ReleaseHealthMinute(models.Model):
    """Sessions of a release and environment that started in one minute, by how they went.

    `sessions` counts them all; `errored` those with errors that neither crashed nor ended
    abnormally, `crashed` and `abnormal` the others (Sentry's aggregate buckets), so the healthy
    ones are sessions − errored − crashed − abnormal."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="health_minutes")
    environment = models.CharField(max_length=64)
    minute = models.DateTimeField()
    sessions = models.PositiveIntegerField(default=0)
    errored = models.PositiveIntegerField(default=0)
    crashed = models.PositiveIntegerField(default=0)
    abnormal = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "environment", "minute"], name="release_health_minute_unique"),
        ]


class TrackedSession(models.Model):
    """What is counted of one session sent as updates (a `session` item with a `sid`): a later
    update moves it between the buckets of its first one, never counts it again. Kept for the 5
    days the protocol lets a session be updated."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    sid = models.CharField(max_length=64)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=64)
    minute = models.DateTimeField()  # when it started, to the minute: its bucket
    distinct_id = models.CharField(max_length=32, blank=True, default="")  # hashed
    outcome = models.CharField(max_length=8)  # healthy, errored, abnormal or crashed
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "sid"], name="tracked_session_unique")]


class SessionUser(models.Model):
    """A user (a session's hashed `did`) with sessions of a release and environment on a day, and
    whether any of them crashed: crash-free users per day and per release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="session_users")
    environment = models.CharField(max_length=64)
    day = models.DateField()
    distinct_id = models.CharField(max_length=32)
    crashed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "environment", "day", "distinct_id"], name="session_user_unique"),
        ]


# --- Working together on a group: comments, linked tickets, the project's issue tracker ------------


class GroupComment(models.Model):
    """A note on a group by a person; `mentions` holds the members its @names named when posted."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    mentions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"comment {self.id} on {self.group_id}"


class GroupTicket(models.Model):
    """An issue in the team's tracker linked to a group (its URL, http or https)."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="tickets")
    url = models.CharField(max_length=2000)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "url"], name="group_ticket_unique")]


class IssueTracker(models.Model):
    """A project's issue tracker: a URL template that opens a new issue prefilled from a group
    (triage.tickets.new_issue_url)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="issue_tracker")
    url_template = models.CharField(max_length=2000)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class SavedView(models.Model):
    """A filtered group list saved under a name (its query string), listed in the nav of its owner
    and, when shared, of every member of its project (triage.saved_views)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=2000)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "project", "name"], name="saved_view_unique_name")]

    def __str__(self):
        return self.name
