"""A deleted project's log lines go with it, in one statement (LogLine has no database constraint
on its project, so Django would otherwise leave them, or collect millions of rows to delete)."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from projects.models import Project
from triage.logs.store import delete_project_lines


@receiver(pre_delete, sender=Project, dispatch_uid="triage.logs.delete_project_lines")
def delete_lines_of_project(sender, instance, **kwargs):
    delete_project_lines(instance.id)
