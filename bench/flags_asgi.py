"""config.asgi with the OFREP fast path in front (flags.asgi.OfrepApp), for the benchmarks:
what config/asgi.py serves once it wraps its application the same way."""

from config.asgi import application as switchyard  # noqa: I001  (sets DJANGO_SETTINGS_MODULE, sets up Django)
from flags.asgi import OfrepApp

application = OfrepApp(switchyard)
