from django.core.management.base import BaseCommand, CommandError

from flags.changes import disable_flag
from flags.models import Flag
from flags.validation import InvalidChange


class Command(BaseCommand):
    help = "Disables (kills) a flag in an environment, with a reason; audited with source 'command'."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("key")
        parser.add_argument("environment")
        parser.add_argument("--reason", required=True)

    def handle(self, project_id, key, environment, reason, **options):
        flag = Flag.objects.filter(project_id=project_id, key=key).first()
        if flag is None:
            raise CommandError(f"no flag {key!r} in project {project_id}")
        try:
            change = disable_flag(flag, environment, actor=None, reason=reason, source="command")
        except InvalidChange as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"disabled {key} in {environment}" if change else f"{key} was already off in {environment}")
