"""The one ASGI entry point: SDK ingest paths go to the fast handler, everything else to Django."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

from config.staticfiles import ensure_collected  # noqa: E402

ensure_collected()  # pages name hashed static files; a no-op once collected (config/staticfiles.py)

from flags.ofrep.asgi import OfrepApp  # noqa: E402  (both need settings configured first)
from triage.edge.asgi import IngestApp  # noqa: E402

# The two hot paths answer before Django: SDK ingest, and OFREP flag evaluation (Django's
# thread hand-offs through the middleware cost 3–4 ms of CPU a request: bench/ofrep_bench.py).
application = OfrepApp(IngestApp(fallback=django_application))
