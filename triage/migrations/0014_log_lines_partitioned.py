"""Log lines move to a table of their own design (issue 11): partitioned by day on PostgreSQL
(triage.partitions), with the indexes of triage.logs.schema; the lines stored so far are copied
over through the same normalisation as new ones. Error events get an index on their trace, so a
log line finds its group."""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models

COPY_CHUNK = 2_000


def create_log_table(apps, schema_editor):
    from triage.logs import schema

    schema.create(schema_editor, apps.get_model("triage", "LogLine"))


def drop_log_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS triage_logline CASCADE")


def copy_old_lines(apps, schema_editor):
    """The old rows kept each item's fields and attributes: rebuilt as an item, they take the
    path a new line takes (triage.logs.lines), so old and new lines read alike."""
    from triage.logs import store
    from triage.logs.lines import line_fields

    LogLine = apps.get_model("triage", "LogLine")
    LogEntry = apps.get_model("triage", "LogEntry")
    rows = LogEntry.objects.order_by("id").values_list(
        "project_id", "stream_id", "position", "timestamp", "level", "body", "trace_id", "attributes")
    batch = []
    for project_id, stream_id, position, timestamp, level, body, trace_id, attributes in rows.iterator(COPY_CHUNK):
        item = {"timestamp": timestamp.timestamp(), "level": level, "body": body, "trace_id": trace_id,
                "attributes": attributes}
        # Received "now" would clamp old lines to today; received at their own time keeps it.
        batch.append(LogLine(project_id=project_id, stream_id=stream_id, position=position,
                             **line_fields(item, timestamp.astimezone(dt.UTC))))
        if len(batch) == COPY_CHUNK:
            store.ensure_partitions(batch)
            store.insert_lines(batch)
            batch = []
    store.ensure_partitions(batch)
    store.insert_lines(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0003_log_retention"),
        ("triage", "0013_saved_views"),
    ]

    operations = [
        migrations.CreateModel(
            name="LogVolume",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("lines", models.PositiveBigIntegerField(default=0)),
                ("bytes", models.PositiveBigIntegerField(default=0)),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                              to="projects.project")),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("project", "day"), name="logvolume_unique_day")]},
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LogLine",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("project", models.ForeignKey(db_constraint=False, db_index=False,
                                                      on_delete=django.db.models.deletion.DO_NOTHING,
                                                      related_name="+", to="projects.project")),
                        ("timestamp", models.DateTimeField()),
                        ("level", models.CharField(max_length=8)),
                        ("message", models.TextField()),
                        ("template", models.TextField(blank=True, default="")),
                        ("logger", models.CharField(blank=True, default="", max_length=200)),
                        ("trace_id", models.CharField(blank=True, default="", max_length=32)),
                        ("span_id", models.CharField(blank=True, default="", max_length=16)),
                        ("release", models.CharField(blank=True, default="", max_length=200)),
                        ("environment", models.CharField(blank=True, default="", max_length=64)),
                        ("service", models.CharField(blank=True, default="", max_length=200)),
                        ("attributes", models.JSONField(default=dict)),
                        ("stream_id", models.CharField(max_length=40)),
                        ("position", models.PositiveIntegerField()),
                    ],
                ),
            ],
        ),
        migrations.RunPython(create_log_table, drop_log_table),
        migrations.RunPython(copy_old_lines, migrations.RunPython.noop),
        migrations.DeleteModel(name="LogEntry"),
    ]
