"""Creates the demo login, project and flags on first run; later runs change nothing (idempotent)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from projects.members import create_project
from projects.models import Project
from triage import flagstate


class Command(BaseCommand):
    help = "Seeds the local demo: an admin login, a 'demo' project with a DSN key, and its flags."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)
        parser.add_argument("--base-url", default="")

    def handle(self, password, base_url, **options):
        User = get_user_model()
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser("admin", "admin@example.com", password)
        project = Project.objects.filter(slug="demo").first()
        if project is None:
            project = create_project("demo", members=[admin])
            project.slug = "demo"
            project.save(update_fields=["slug"])
        flagstate.seed_demo_flags(project, admin)
        self.stdout.write(f"demo project {project.id} ready")
