"""Project and ApiToken now live in the projects app (projects.0001_initial): the foreign keys
point there, and triage forgets the two models. State only: the tables and their rows stay."""

import django.db.models.deletion
from django.db import migrations, models

TO_PROJECT = [("errorgroup", "groups"), ("errorevent", "events"), ("logentry", "logs"),
              ("projectflag", "flag_counts"), ("projectkey", "keys"), ("release", "releases")]


class Migration(migrations.Migration):

    dependencies = [
        ("triage", "0004_group_activity_regressed"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *[
                    migrations.AlterField(
                        model_name=model,
                        name="project",
                        field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name=related,
                                                to="projects.project"),
                    )
                    for model, related in TO_PROJECT
                ],
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="Project"),
            ],
            database_operations=[],
        ),
    ]
