"""The one ASGI entry point: SDK ingest paths go to the fast handler, everything else to Django."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

from triage.ingest_app import IngestApp  # noqa: E402  (needs settings configured first)

application = IngestApp(fallback=django_application)
