"""Grouping algorithm switchyard-v2 (issue 12): more fingerprints per group, the transition from
switchyard-v1, and what the digest learns about raise-helpers.

Every project that has switchyard-v1 groups starts its transition now, at the upgrade: for
SWITCHYARD["FINGERPRINT_TRANSITION_DAYS"] its events are fingerprinted by both algorithms, and a
v1 fingerprint that finds a v1 group attaches the event's v2 fingerprint to it (triage.grouping.groups).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def open_transitions(apps, schema_editor):
    ErrorGroup = apps.get_model("triage", "ErrorGroup")
    FingerprintTransition = apps.get_model("triage", "FingerprintTransition")
    now = timezone.now()
    projects = ErrorGroup.objects.filter(algorithm="switchyard-v1").values_list("project_id", flat=True).distinct()
    FingerprintTransition.objects.bulk_create(
        [FingerprintTransition(project_id=pid, previous_algorithm="switchyard-v1", started_at=now) for pid in projects],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0001_initial'),
        ('triage', '0005_project_moves_to_projects'),
    ]

    operations = [
        migrations.CreateModel(
            name='FingerprintTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('previous_algorithm', models.CharField(max_length=32)),
                ('started_at', models.DateTimeField()),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
            ],
        ),
        migrations.CreateModel(
            name='GroupFingerprint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fingerprint', models.CharField(max_length=64)),
                ('algorithm', models.CharField(max_length=32)),
                ('kind', models.CharField(choices=[('transition', 'found by the previous algorithm'), ('raise_helper', 'its caller, were its crash site a raise-helper')], max_length=16)),
                ('created_at', models.DateTimeField()),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extra_fingerprints', to='triage.errorgroup')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('project', 'fingerprint'), name='group_fingerprint_unique')],
            },
        ),
        migrations.CreateModel(
            name='RaiseHelperCall',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('frame', models.CharField(max_length=255)),
                ('caller', models.CharField(max_length=255)),
                ('message', models.CharField(max_length=32)),
                ('first_seen', models.DateTimeField()),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('project', 'frame', 'caller', 'message'), name='raise_helper_call_unique')],
            },
        ),
        migrations.RunPython(open_transitions, migrations.RunPython.noop),
    ]
