from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.members import create_project


class Command(BaseCommand):
    help = "Creates a project with a DSN key and prints the DSN."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--member", action="append", default=[], help="username to add as a member")

    def handle(self, name, member, **options):
        users = list(get_user_model().objects.filter(username__in=member))
        missing = set(member) - {u.username for u in users}
        if missing:
            raise CommandError(f"no such user: {', '.join(sorted(missing))}")
        project = create_project(name, members=users)
        self.stdout.write(f"Project {project.name} (id {project.id})")
        self.stdout.write(project.keys.first().dsn())
