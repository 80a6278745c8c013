from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self):
        # System checks; the DSN key receivers; triage's hooks into the flags app.
        from triage import checks, flagstate  # noqa: F401
        from triage.attribution import assignment  # noqa: F401  (forgets suggestions of members who leave)
        from triage.edge import signals  # noqa: F401
        from triage.logs import signals as log_signals  # noqa: F401  (a deleted project's log lines)
