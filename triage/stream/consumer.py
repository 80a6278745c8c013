"""The stream consumer that runs inside every Celery worker (see triage.stream.worker).

Each worker process runs one consumer thread per stream, all in the consumer group `digest`, so
any number of workers on any number of machines share the work. One loop turn:

1. reclaim messages idle on dead consumers (XAUTOCLAIM), every few seconds;
2. read up to BATCH_SIZE new messages (XREADGROUP, blocking up to BLOCK_MS);
3. digest them in one transaction (triage.digest.events / triage.digest.logs);
4. acknowledge and count them in one Lua script (triage.grouping.counters), after the commit.

A message that raises is left pending and retried after CLAIM_IDLE_MS; once delivered
MAX_DELIVERIES times it moves to the dead-letter stream with its last error, so one poison
message never holds up the messages behind it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.db import close_old_connections

from triage import stream
from triage.stream import IngestMessage, UndeliverableMessage

log = logging.getLogger(__name__)

CLAIM_EVERY_SECONDS = 5.0
TRIM_EVERY_SECONDS = 10.0


@dataclass
class Handler:
    """How one stream is digested: prepare one message (may raise UndeliverableMessage), then
    write a batch of prepared messages and acknowledge them."""

    prepare: Callable
    write_and_ack: Callable  # (redis, stream, prepared list) -> None


class StreamConsumer:
    def __init__(self, redis, stream_name: str, consumer: str, handler: Handler, options: dict):
        self.redis = redis
        self.stream = stream_name
        self.consumer = consumer
        self.handler = handler
        self.options = options
        self.stopping = threading.Event()
        self._last_claim = 0.0
        self._last_trim = 0.0
        # Between batches, drop connections past their age or broken by a database restart.
        self.close_connections = close_old_connections

    def run(self) -> None:
        """Runs until `stopping` is set. A helper thread reads and prepares the next batch while
        this one writes the current one: preparing (JSON, fingerprints) is CPU work, writing is
        mostly waiting on the database, so the two overlap (measured with bench/pipeline_bench.py)."""
        self._guarded(stream.ensure_group, self.redis, self.stream)
        batches: queue.Queue = queue.Queue(maxsize=1)
        reader = threading.Thread(target=self._read_loop, args=(batches,), name=f"read {self.stream}", daemon=True)
        reader.start()
        while reader.is_alive() or not batches.empty():
            try:
                prepared = batches.get(timeout=0.2)
            except queue.Empty:
                continue
            self._guarded(self.commit, prepared)

    def _read_loop(self, batches: queue.Queue) -> None:
        while not self.stopping.is_set():
            self._guarded(self._read_into, batches)

    def _read_into(self, batches: queue.Queue) -> None:
        for entries, claimed in self.fetch(time.monotonic()):
            prepared = self.stage(entries, claimed)
            if prepared:
                batches.put(prepared)  # waits while the writer is busy: at most one batch ahead

    def _guarded(self, step, *args) -> None:
        self.close_connections()
        try:
            step(*args)
        except Exception as exc:  # Redis or the database away: wait, then carry on
            if isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc):
                stream.ensure_group(self.redis, self.stream)  # Redis was flushed: start again
                return
            log.exception("consumer %s on %s failed; retrying", self.consumer, self.stream)
            self.close_connections()
            self.stopping.wait(1.0)

    def run_once(self, now: float | None = None) -> int:
        """One turn of the loop without the helper thread (for tests); returns messages handled."""
        self.close_connections()
        handled = 0
        for entries, claimed in self.fetch(time.monotonic() if now is None else now):
            handled += len(entries)
            self.commit(self.stage(entries, claimed))
        return handled

    def fetch(self, now: float):
        """The batches of this turn: reclaimed messages (every few seconds), then new ones."""
        if now - self._last_claim >= CLAIM_EVERY_SECONDS:
            self._last_claim = now
            yield self.claim(), True
        yield stream.read_new(self.redis, self.stream, self.consumer, self.options["BATCH_SIZE"], self.options["BLOCK_MS"]), False
        if now - self._last_trim >= TRIM_EVERY_SECONDS:
            self._last_trim = now
            stream.trim_processed(self.redis, self.stream)

    def claim(self):
        return stream.claim_idle(
            self.redis, self.stream, self.consumer, self.options["CLAIM_IDLE_MS"], self.options["BATCH_SIZE"]
        )

    def stage(self, entries, claimed: bool = False) -> list:
        """Dead-letters what is exhausted or undeliverable; returns the rest, prepared."""
        if claimed and entries:
            entries = self._dead_letter_exhausted(entries)
        return [p for p in (self._prepare(mid, fields) for mid, fields in entries) if p is not None]

    def commit(self, prepared: list) -> None:
        """Writes and acknowledges a batch; on failure, retries its messages one by one so one
        poison message cannot hold up the others."""
        if not prepared:
            return
        try:
            self.handler.write_and_ack(self.redis, self.stream, prepared)
        except Exception:
            log.warning("batch of %d failed; retrying its messages one by one", len(prepared), exc_info=True)
            self.close_connections()
            for one in prepared:
                self._write_one(one)

    def _write_one(self, prepared) -> None:
        try:
            self.handler.write_and_ack(self.redis, self.stream, [prepared])
        except Exception as exc:
            # Left pending: reclaimed after CLAIM_IDLE_MS, dead-lettered after MAX_DELIVERIES.
            log.warning("message %s failed: %s", prepared.message_id, exc)
            stream.record_failure(self.redis, prepared.message_id, _reason(exc))
            self.close_connections()

    def _prepare(self, message_id: bytes, fields: dict):
        try:
            message = IngestMessage.from_fields(fields)
            return self.handler.prepare(message_id, message)
        except (KeyError, ValueError, UndeliverableMessage) as exc:
            self._dead_letter(message_id, fields, f"undeliverable: {exc}")
        except Exception as exc:
            log.warning("message %s could not be prepared: %s", message_id, exc)
            stream.record_failure(self.redis, message_id, _reason(exc))
        return None

    def _dead_letter_exhausted(self, entries):
        counts = stream.delivery_counts(self.redis, self.stream, [mid for mid, _ in entries])
        keep = []
        for mid, fields in entries:
            if counts.get(mid, 0) > self.options["MAX_DELIVERIES"]:
                reason = self.redis.hget(stream.ERRORS, mid) or b"no error recorded (worker died while processing)"
                self._dead_letter(mid, fields, f"failed {counts[mid] - 1} deliveries: {reason.decode()}")
            else:
                keep.append((mid, fields))
        return keep

    def _dead_letter(self, message_id: bytes, fields: dict, reason: str) -> None:
        log.error("dead-lettering %s from %s: %s", message_id, self.stream, reason)
        stream.dead_letter(self.redis, self.stream, message_id, fields, reason, self.options["DEAD_LETTER_MAXLEN"])


def _reason(exc: Exception) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
