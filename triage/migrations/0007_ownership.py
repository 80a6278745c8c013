# The responsible developer (issue 9, part 3): ownership rules per project, commits registered with
# releases, each group's last suggestion, and "suggested" in a group's history.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0002_event_quotas'),
        ('triage', '0006_group_fingerprints'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='groupactivity',
            name='kind',
            field=models.CharField(choices=[('resolved', 'Resolved'), ('resolved_in_next_release', 'Resolved In Next Release'), ('ignored', 'Ignored'), ('reopened', 'Reopened'), ('assigned', 'Assigned'), ('unassigned', 'Unassigned'), ('flag_disabled', 'Flag Disabled'), ('regressed', 'Regressed'), ('suggested', 'Suggested')], max_length=32),
        ),
        migrations.CreateModel(
            name='ProjectOwnership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rules', models.TextField(blank=True, default='')),
                ('auto_assign', models.BooleanField(default=False)),
                ('updated_at', models.DateTimeField()),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='ownership', to='projects.project')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='ReleaseCommit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('commit_id', models.CharField(max_length=64)),
                ('repository', models.CharField(blank=True, default='', max_length=200)),
                ('author_email', models.CharField(blank=True, default='', max_length=254)),
                ('author_name', models.CharField(blank=True, default='', max_length=200)),
                ('message', models.TextField(blank=True, default='')),
                ('files', models.JSONField(default=list)),
                ('release', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commits', to='triage.release')),
            ],
            options={
                'ordering': ['release', 'position'],
                'constraints': [models.UniqueConstraint(fields=('release', 'commit_id'), name='release_commit_unique')],
            },
        ),
        migrations.CreateModel(
            name='GroupSuggestion',
            fields=[
                ('group', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='suggestion', serialize=False, to='triage.errorgroup')),
                ('source', models.CharField(choices=[('flag_owner', 'owner of the suspect flag'), ('ownership', 'ownership rules'), ('commit', 'suspect commit')], max_length=16)),
                ('reason', models.TextField()),
                ('updated_at', models.DateTimeField()),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
