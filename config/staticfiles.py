"""Static files: hashed names, brotli and gzip copies, cached for good by browsers.

`collectstatic` with WhiteNoise's CompressedManifestStaticFilesStorage writes each file under a
name carrying its content hash, plus .br and .gz copies; WhiteNoise then serves the hashed names
with `Cache-Control: max-age=<10 years>, immutable` and the smallest copy the browser accepts
(https://whitenoise.readthedocs.io/en/stable/django.html#add-compression-and-caching-support).

`ensure_collected()` runs that step when the sources changed since the last run, so `make run`,
the test suite and a bare `uvicorn config.asgi:application` need no set-up step of their own;
a deployment that collects at build time finds its manifest current and writes nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from whitenoise.storage import CompressedManifestStaticFilesStorage

STAMP = ".sources"


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed URLs under DEBUG too: Django falls back to plain names there, which WhiteNoise can only
    serve with max-age=0, and local mode (DEBUG on) is where a newcomer first meets the dashboard.
    The files are collected at each start, so an edited file shows after a restart."""

    def url(self, name, force=False):
        return super().url(name, force=True)


def sources_fingerprint() -> str:
    """A digest of every file the finders see (path, size, mtime) and of the storage in use."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for finder in finders.get_finders():
        for path, storage in sorted(finder.list(None), key=lambda item: item[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{getattr(storage, 'prefix', '') or ''}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def ensure_collected() -> bool:
    """Runs collectstatic when STATIC_ROOT is older than the sources; True if it did."""
    from django.conf import settings
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    stamp = root / STAMP
    wanted = sources_fingerprint()
    if stamp.exists() and stamp.read_text() == wanted:
        return False  # no lock needed: a read-only, collected-at-build STATIC_ROOT stays untouched
    root.mkdir(parents=True, exist_ok=True)
    # Several processes may start at once (the web server, tests in parallel): one collects.
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == wanted:
            return False
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(wanted)
    return True
