"""Project and ApiToken move here from triage with their tables: state only, no rows moved.

The tables (triage_project, triage_project_members, triage_apitoken) were made by
triage.0001_initial and keep their names through `db_table`. The content types move with the
models, so permissions granted on them (projects.add_project …) stay granted.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("project", "apitoken"):
        if not ContentType.objects.filter(app_label="projects", model=model).exists():
            ContentType.objects.filter(app_label="triage", model=model).update(app_label="projects")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("project", "apitoken"):
        if not ContentType.objects.filter(app_label="triage", model=model).exists():
            ContentType.objects.filter(app_label="projects", model=model).update(app_label="triage")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("triage", "0004_group_activity_regressed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Project",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100)),
                        ("slug", models.SlugField(max_length=100, unique=True)),
                        ("grouping_rules", models.TextField(blank=True, default="")),
                        ("retention_events", models.PositiveIntegerField(blank=True, help_text="Events kept for this project; empty uses the site default.", null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("members", models.ManyToManyField(blank=True, related_name="projects", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "triage_project", "ordering": ["name"]},
                ),
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("label", models.CharField(default="", max_length=100)),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("prefix", models.CharField(help_text="First characters, to tell tokens apart.", max_length=8)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "triage_apitoken"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
