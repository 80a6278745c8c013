"""The run command (`make run`): its child processes accept their options, and a whole run starts,
logs each line once and stops with nothing left behind, however it is stopped (issue 10, item 8)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from config import local
from config.processes import free_port


@pytest.mark.parametrize("index,program", [(0, "uvicorn"), (1, "celery"), (2, "celery")])
def test_run_command_children_accept_their_options(index, program, tmp_path):
    command = local.child_commands(8000, "http://127.0.0.1:8000")[index]
    assert program in command
    # --help last: every option before it is parsed (and an unknown one refused) first.
    result = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60, cwd=local.ROOT)
    assert result.returncode == 0, result.stderr[-2000:]


def test_run_command_runs_beat_as_its_own_process_not_inside_the_worker():
    web, worker, beat = local.child_commands(8000, "http://127.0.0.1:8000")[:3]
    assert "worker" in worker and "-B" not in worker and "--beat" not in worker
    assert "beat" in beat and "worker" not in beat


def test_beat_keeps_its_schedule_in_the_local_folder_whoever_starts_it(settings):
    """A bare `celery -A config beat` (the README's production command) wrote celerybeat-schedule*
    into whatever folder it was started from."""
    schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
    assert schedule.parent == Path(settings.LOCAL_DIR)


# --- The run command itself, end to end: start, use, stop ----------------------------------------

BANNER = "Switchyard is running at"


class LocalRun:
    """`python -m config.local` as `make run` starts it, in a folder of its own (its cwd), with its
    run state in `.local/` there, in a session of its own so a signal to the group is what a
    terminal's Ctrl-C sends."""

    def __init__(self, folder: Path):
        self.folder, self.local = folder, folder / ".local"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS")}
        env.update(SWITCHYARD_LOCAL_DIR=str(self.local), PORT=str(self.port), PYTHONPATH=str(local.ROOT), PYTHONUNBUFFERED="1")
        self.out = folder / "run.log"
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "config.local"], cwd=folder, env=env,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc.poll() is None, f"the run command exited ({self.proc.returncode}):\n{self.output()[-4000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output()[-4000:]}"
            time.sleep(0.5)

    def processes(self) -> list[psutil.Process]:
        """The run command, its children, and the embedded Redis server (a daemon of its own)."""
        parent = psutil.Process(self.proc.pid)
        found = [parent, *parent.children(recursive=True)]
        settings = json.loads((self.local / "redis.db.settings").read_text())
        found.append(psutil.Process(int(Path(settings["pidfile"]).read_text())))
        self.seen = found
        return found

    def get(self, path: str, **headers) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def kill(self) -> None:
        """Whatever a failed test left running."""
        for process in getattr(self, "seen", []):
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        if self.proc.poll() is None:
            self.proc.kill()


def _gone(processes: list[psutil.Process]) -> list[str]:
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(" ".join(process.cmdline())[:160])
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("make-run")  # shared: the second start skips the first's migrations


@pytest.mark.integration
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "child crash"])
def test_the_run_command_starts_logs_once_and_leaves_nothing_behind(run_folder, how):
    run = LocalRun(run_folder)
    try:
        run.wait_for(BANNER)
        run.wait_for("demo app: sending")
        processes = run.processes()
        assert any("redis-server" in p.name() for p in processes)
        # A page with its static files (the first answer under ASGI printed a warning), and a 404
        # that Django logs: one line, not two.
        status, page = run.get("/login/")
        assert status == 200
        for path in re.findall(rb'(?:href|src)="(/static/[^"]+)"', page):
            assert run.get(path.decode(), **{"Accept-Encoding": "br"})[0] == 200
        missing = f"/no-such-page-{how.replace(' ', '-')}/"
        assert run.get(missing)[0] == 404
        run.wait_for(f"Not Found: {missing}")
        if how == "ctrl-c":
            os.killpg(run.proc.pid, signal.SIGINT)  # what a terminal sends to the foreground group
        elif how == "sigterm":
            run.proc.terminate()  # kill <pid>, a service manager, a closed terminal
        else:
            worker = next(p for p in processes if "worker" in p.cmdline())
            worker.kill()
        run.proc.wait(120)
        output = run.output()
        assert _gone(processes) == [], output[-3000:]
        assert output.count(f"Not Found: {missing}") == 1, output[-3000:]
        assert "StreamingHttpResponse must consume" not in output
        # The demo app stops first, while the server it sends to still answers: no retries.
        assert output.index("stopped: demo app") < output.index("stopped: web server"), output[-3000:]
        if how == "child crash":
            assert "worker exited" in output and run.proc.returncode != 0
        else:
            assert run.proc.returncode == 0, output[-3000:]
        assert list(run_folder.glob("celerybeat-schedule*")) == []
        assert list((run_folder / ".local").glob("celerybeat-schedule*"))
    finally:
        run.kill()
