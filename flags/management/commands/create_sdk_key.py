from django.core.management.base import BaseCommand, CommandError

from flags.sdk_keys import create_sdk_key
from flags.validation import InvalidChange
from projects.models import Project


class Command(BaseCommand):
    help = "Creates an OFREP SDK key for a project's environment and prints it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("environment")
        parser.add_argument("--kind", choices=["server", "client"], default="server")
        parser.add_argument("--label", default="")

    def handle(self, project_id, environment, kind, label, **options):
        project = Project.objects.filter(id=project_id).first()
        if project is None:
            raise CommandError(f"no such project: {project_id}")
        try:
            _, plaintext = create_sdk_key(project, environment, kind=kind, label=label, source="command")
        except InvalidChange as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(plaintext)
