# Joins the two migrations issue 9 added side by side (0007 ownership, 0008 alerts); no operations.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0007_ownership'),
        ('triage', '0008_alerts'),
    ]

    operations = []
