# Alerts (issue 9, part 4): rules per project, and each delivery of a fired rule with its attempts.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import triage.models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0002_event_quotas'),
        ('triage', '0006_group_fingerprints'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AlertRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('trigger', models.CharField(choices=[('new_group', 'a new group'), ('regression', 'a regression'), ('spike', 'a spike above a score'), ('flag_cohort', "a flag cohort's affected rate above a threshold"), ('guard', 'a guarded flag disabled (or, in dry run, would have been)')], max_length=16)),
                ('threshold', models.FloatField(blank=True, null=True)),
                ('webhook_url', models.URLField(blank=True, default='', max_length=500)),
                ('format', models.CharField(choices=[('json', 'JSON signed with HMAC-SHA256'), ('slack', 'Slack-compatible')], default='json', max_length=8)),
                ('emails', models.JSONField(blank=True, default=list)),
                ('secret', models.CharField(default=triage.models._new_alert_secret, max_length=64)),
                ('enabled', models.BooleanField(default=True)),
                ('repeat_minutes', models.PositiveIntegerField(default=30)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alert_rules', to='projects.project')),
            ],
            options={
                'ordering': ['name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='AlertDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fired_at', models.DateTimeField()),
                ('trigger', models.CharField(blank=True, default='', max_length=16)),
                ('flag_key', models.CharField(blank=True, default='', max_length=200)),
                ('reason', models.TextField()),
                ('details', models.JSONField(blank=True, default=dict)),
                ('channel', models.CharField(choices=[('webhook', 'Webhook'), ('email', 'Email')], max_length=8)),
                ('target', models.CharField(max_length=500)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=8)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.TextField(blank=True, default='')),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='triage.errorgroup')),
                ('rule', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='triage.alertrule')),
            ],
            options={
                'ordering': ['-fired_at', '-id'],
                'indexes': [models.Index(fields=['rule', '-fired_at'], name='alert_delivery_rule_time')],
            },
        ),
    ]
