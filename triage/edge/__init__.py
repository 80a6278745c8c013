"""The edge: the SDK endpoints in front of Django (asgi), the envelope and store parsing, and DSN keys."""
