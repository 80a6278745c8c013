"""The run command's child processes: each command line is one its program accepts."""

import subprocess

import pytest

from config import local


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
