from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = "Feature flags"

    def ready(self):
        # The system checks; the flag_changed receiver that pauses schedules on a guard or a kill.
        from flags import checks, schedules  # noqa: F401
