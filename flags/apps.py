from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = "Feature flags"

    def ready(self):
        from flags import checks  # noqa: F401  (registers the system checks)
