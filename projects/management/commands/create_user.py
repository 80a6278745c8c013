"""`create_user USERNAME [--email E] [--perm app.codename ...]`: a login for a teammate, with only
the permissions named (Django's createsuperuser would grant all of them), and a generated password
printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Creates a user with the given permissions and prints a generated password (it is not shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--perm", action="append", default=[], metavar="APP.CODENAME",
                            help="a permission to grant, e.g. flags.change_flag (repeatable)")

    def handle(self, *args, username, email, perm, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} exists already")
        permissions = [_permission(name) for name in perm]
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user(username, email, password)
            user.user_permissions.add(*permissions)
        self.stdout.write(password)


def _permission(name: str) -> Permission:
    app_label, _, codename = name.partition(".")
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    if found is None:
        raise CommandError(f"no such permission: {name!r} (expected app.codename, e.g. flags.change_flag)")
    return found
