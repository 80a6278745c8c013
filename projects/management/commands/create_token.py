"""`create_token USERNAME [--label L]`: prints a bearer token for the JSON APIs, once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.tokens import create_token


class Command(BaseCommand):
    help = "Creates an API token for a user and prints it (it is not shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="")

    def handle(self, *args, username, label, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no such user: {username}")
        self.stdout.write(create_token(user, label))
