"""Error events move to a table partitioned by day on received_at (PostgreSQL; SQLite keeps its
plain table), every stored event with them (triage.partitions.convert_table). The unique
(project, event_id) a partitioned table cannot have moves to EventId, filled with the ids of the
events inside the dedupe window, so a copy re-sent after the upgrade is still kept out."""

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_UNIQUE = models.UniqueConstraint(fields=("project", "event_id"), name="event_unique_event_id")


def remember_event_ids(apps, schema_editor):
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.SWITCHYARD["EVENT_DEDUPE_DAYS"])
    schema_editor.execute(
        "INSERT INTO triage_eventid (project_id, event_id, stream_id, received_at) "
        "SELECT project_id, event_id, stream_id, received_at FROM triage_errorevent WHERE received_at >= %s",
        [since],
    )


def partition_events(apps, schema_editor):
    from triage import event_partitions

    model = apps.get_model("triage", "ErrorEvent")  # as of after the state change: no unique key, new indexes
    if schema_editor.connection.vendor == "postgresql":
        event_partitions.convert(schema_editor, model, dt.datetime.now(dt.UTC).date())
    else:
        schema_editor.remove_constraint(model, OLD_UNIQUE)  # SQLite remakes the table, new indexes included


def unpartition_events(apps, schema_editor):
    """Back to the plain table with its unique key (the new indexes stay: the older code ignores them)."""
    from triage import partitions

    partitions.revert_table(schema_editor, apps.get_model("triage", "ErrorEvent"))
    schema_editor.execute("CREATE UNIQUE INDEX event_unique_event_id ON triage_errorevent (project_id, event_id)")


class Migration(migrations.Migration):
    atomic = True  # the copy and the swap are one transaction: no event is lost in between

    dependencies = [
        ("projects", "0003_log_retention"),
        ("triage", "0017_fingerprint_rules"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventId",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.CharField(max_length=32)),
                ("stream_id", models.CharField(blank=True, default="", max_length=40)),
                ("received_at", models.DateTimeField()),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                              to="projects.project")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("project", "event_id"), name="event_id_unique")],
                "indexes": [models.Index(fields=["received_at"], name="event_id_received")],
            },
        ),
        migrations.RunPython(remember_event_ids, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="errorevent", name="event_unique_event_id"),
                migrations.AddIndex(model_name="errorevent",
                                    index=models.Index(fields=["project", "event_id"], name="event_project_event_id")),
                migrations.AddIndex(model_name="errorevent",
                                    index=models.Index(fields=["project", "-received_at", "-id"], name="event_project_received")),
            ],
        ),
        migrations.RunPython(partition_events, unpartition_events),
    ]
