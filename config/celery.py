import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("switchyard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The stream consumers run inside every worker process (see triage.stream.worker for why a bootstep).
from triage.stream.worker import StreamConsumersStep  # noqa: E402

app.steps["worker"].add(StreamConsumersStep)


class Scheduler(PersistentScheduler):
    """Celery's file-backed scheduler, making the folder of its file first (settings put it in .local/)."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
