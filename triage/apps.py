from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self):
        from triage import checks, signals  # noqa: F401  (registers system checks and signal handlers)
