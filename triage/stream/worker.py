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


class StreamConsumersStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.consumers = []
        self.threads = []

    def start(self, worker):
        from django.conf import settings

        if os.environ.get("SWITCHYARD_CONSUME_STREAMS", "1") == "0":
            return
        from config.redis_clients import redis_client
        from triage import stream
        from triage.stream.consumer import StreamConsumer
        from triage.stream.wiring import HANDLERS, consumer_options, consumers_to_run

        client = redis_client()
        name = f"{socket.gethostname()}:{os.getpid()}"
        configured = settings.SWITCHYARD["STREAM_PARTITIONS"]
        partitions = stream.register_partitions(client, configured)
        # CONSUMER_THREADS consumers per stream partition. Default 1: with 2, both threads wait on
        # the same hot group's row lock during a spike and digest was slower (bench/pipeline_bench.py).
        # Logs have LOG_CONSUMER_THREADS (2): their batches share no hot row (wiring.consumer_options).
        # One thread per partition, not one XREADGROUP over all: on a Redis Cluster one command
        # cannot read streams in different slots.
        for stream_name, partition, retiring in consumers_to_run(partitions, configured):
            options = consumer_options(stream_name, settings.SWITCHYARD)
            make_handler = HANDLERS[stream.base_stream(stream_name)]
            for n in range(options["CONSUMER_THREADS"]):
                consumer = StreamConsumer(client, stream_name, f"{name}:{n}", make_handler(partition), options,
                                          retiring=retiring)
                thread = threading.Thread(target=consumer.run, name=f"consume {stream_name} {n}", daemon=True)
                self.consumers.append(consumer)
                self.threads.append(thread)
                thread.start()
        log.info("stream consumers started as %s", name)

    def stop(self, worker):
        for consumer in self.consumers:
            consumer.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
