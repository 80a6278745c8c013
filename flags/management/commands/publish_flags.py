from django.core.management.base import BaseCommand

from flags import cache
from flags.environments import project_environments
from flags.models import Flag


class Command(BaseCommand):
    help = "Recompiles every project's flag configuration into Redis (after a failed publish or a restore)."

    def handle(self, **options):
        project_ids = sorted(set(Flag.objects.values_list("project_id", flat=True)))
        for project_id in project_ids:
            cache.publish(project_id, project_environments(project_id), {"flag": "", "action": "republish"})
        self.stdout.write(f"published {len(project_ids)} project(s)")
