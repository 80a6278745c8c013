from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from triage.projects import create_token


class Command(BaseCommand):
    help = "Creates an API bearer token for a user and prints it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="")

    def handle(self, username, label, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no such user: {username}")
        self.stdout.write(create_token(user, label))
