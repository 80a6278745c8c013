"""A throwaway three-master Redis Cluster on loopback ports, for the cluster tests and benchmarks.

Debian's `redis-server` in cluster mode, one process per master, joined with
`redis-cli --cluster create` (https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/).
No replicas: the point is keys spread over three nodes, not failover. Each node keeps its data
in a temporary directory that goes with it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PORTS = range(7000, 7100)  # the loopback range the cluster helpers use


def available() -> bool:
    return bool(shutil.which("redis-server") and shutil.which("redis-cli"))


def _free(port: int) -> bool:
    """Free for the node and for its cluster bus (port + 10000)."""
    for p in (port, port + 10000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True


class LocalCluster:
    def __init__(self, masters: int = 3):
        self.masters = masters
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []
        self.directory = Path(tempfile.mkdtemp(prefix="switchyard-cluster-"))

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self, timeout: float = 30) -> LocalCluster:
        for port in PORTS:
            if len(self.ports) == self.masters:
                break
            if _free(port):
                self._start_node(port)
        if len(self.ports) < self.masters:
            raise RuntimeError(f"fewer than {self.masters} free ports in {PORTS.start}-{PORTS.stop - 1}")
        for port in self.ports:
            self._wait(lambda p=port: self._cli(p, "ping") == "PONG", timeout, f"node {port}")
        subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=timeout)
        for port in self.ports:  # every node must agree before a client's first command
            self._wait(lambda p=port: "cluster_state:ok" in self._cli(p, "cluster", "info"), timeout, f"node {port} ok")
        return self

    def _start_node(self, port: int) -> None:
        data = self.directory / str(port)
        data.mkdir()
        # appendonly off and no snapshots: a test cluster that is deleted with its directory.
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", str(data / "nodes.conf"), "--cluster-node-timeout", "5000",
             "--dir", str(data), "--appendonly", "no", "--save", "", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self.ports.append(port)
        self.processes.append(process)

    def _cli(self, port: int, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=5)
        return done.stdout.strip()

    @staticmethod
    def _wait(predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except subprocess.SubprocessError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"Redis Cluster: timed out waiting for {what}")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
