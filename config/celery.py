import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("switchyard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The stream consumers run inside every worker process (see triage.stream.worker for why a bootstep).
from triage.stream.worker import StreamConsumersStep  # noqa: E402

app.steps["worker"].add(StreamConsumersStep)
