"""Flags' foreign keys point at projects.Project (the same table as before): state only."""

import django.db.models.deletion
from django.db import migrations, models

TO_PROJECT = [("flag", "flags"), ("flagchange", "flag_changes"), ("sdkkey", "sdk_keys")]


class Migration(migrations.Migration):

    dependencies = [
        ("flags", "0001_initial"),
        ("projects", "0001_initial"),
    ]
    # triage.0005 forgets triage.Project; nothing may still point at it by then.
    run_before = [("triage", "0005_project_moves_to_projects")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="project",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name=related,
                                            to="projects.project"),
                )
                for model, related in TO_PROJECT
            ],
            database_operations=[],
        ),
    ]
