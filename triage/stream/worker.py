"""Runs the stream consumers inside a Celery worker, as a worker bootstep.

Why a bootstep rather than a self-rescheduling task: the consumer loop must run continuously,
exactly once per worker process, stop cleanly with the worker (SIGTERM finishes the current
batch) and come back when the worker does. A task that re-queues itself can be lost or doubled
by a broker hiccup; a bootstep lives and dies with the worker. Celery still runs the periodic
tasks (roll-ups, retention) in triage.tasks.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from celery import bootsteps

log = logging.getLogger(__name__)
WATCH_SECONDS = 30.0


class StreamConsumersStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.consumers = []
        self.threads = []
        self.running: dict[str, list[threading.Thread]] = {}  # stream partition → its consumer threads
        self.watching = threading.Event()

    def start(self, worker):
        if os.environ.get("SWITCHYARD_CONSUME_STREAMS", "1") == "0":
            return
        from config.redis_clients import thread_client

        client = thread_client()  # the watcher's
        name = f"{socket.gethostname()}:{os.getpid()}"
        self.start_consumers(client, name)
        watcher = threading.Thread(target=self._watch, args=(client, name), name="watch partitions", daemon=True)
        watcher.start()
        log.info("stream consumers started as %s", name)

    def start_consumers(self, client, name: str) -> None:
        """Starts a consumer for each stream partition that has none running: the configured ones,
        and those a larger setting left with entries (drained, then retired: StreamConsumer.retiring)."""
        from django.conf import settings

        from config.redis_clients import thread_client
        from triage import stream
        from triage.stream.consumer import StreamConsumer
        from triage.stream.wiring import HANDLERS, consumer_options, consumers_to_run

        configured = settings.SWITCHYARD["STREAM_PARTITIONS"]
        partitions = stream.register_partitions(client, configured)
        # CONSUMER_THREADS consumers per stream partition. Default 1: with 2, both threads wait on
        # the same hot group's row lock during a spike and digest was slower (bench/pipeline_bench.py).
        # Logs have LOG_CONSUMER_THREADS (2): their batches share no hot row (wiring.consumer_options).
        # One thread per partition, not one XREADGROUP over all: on a Redis Cluster one command
        # cannot read streams in different slots.
        for stream_name, partition, retiring in consumers_to_run(partitions, configured):
            if any(thread.is_alive() for thread in self.running.get(stream_name, [])):
                continue
            options = consumer_options(stream_name, settings.SWITCHYARD, partitions)
            make_handler = HANDLERS[stream.base_stream(stream_name)]
            self.running[stream_name] = []
            for n in range(options["CONSUMER_THREADS"]):
                consumer = StreamConsumer(thread_client(), stream_name, f"{name}:{n}", make_handler(partition),
                                          options, retiring=retiring)
                thread = threading.Thread(target=consumer.run, name=f"consume {stream_name} {n}", daemon=True)
                self.consumers.append(consumer)
                self.threads.append(thread)
                self.running[stream_name].append(thread)
                thread.start()

    def _watch(self, client, name: str) -> None:
        """Every WATCH_SECONDS, looks for partitions past the setting that hold entries again (an
        ingest process still on a larger setting during a deployment) and starts their consumers."""
        while not self.watching.wait(WATCH_SECONDS):
            try:
                self.start_consumers(client, name)
            except Exception:
                log.warning("could not look for leftover stream partitions", exc_info=True)

    def stop(self, worker):
        self.watching.set()
        for consumer in self.consumers:
            consumer.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
