"""The stream consumer that runs inside every Celery worker (see triage.stream.worker).

Each worker process runs one consumer thread per stream, all in the consumer group `digest`, so
any number of workers on any number of machines share the work. One loop turn:

1. reclaim messages idle on dead consumers (XAUTOCLAIM), every few seconds;
2. read up to BATCH_SIZE new messages (XREADGROUP, blocking up to BLOCK_MS);
3. digest them in one transaction (triage.digest.events / triage.digest.logs);
4. acknowledge, count and delete them in one Lua script (triage.grouping.counters), after the
   commit: deleting keeps the stream's length equal to its backlog, which ingest caps.

Two kinds of failure, told apart by triage.stream.outage.is_infrastructure_error:

- the database or Redis is away: the consumer keeps the batch in memory and retries it with
  exponential backoff (capped at OUTAGE_BACKOFF_MAX_SECONDS, cut short by shutdown), reading
  and claiming nothing meanwhile and spending no delivery, so an outage of any length loses no
  event. It logs one line when the outage begins and one when it ends.
- anything else is blamed on the messages: the batch is retried one message at a time, and a
  message that still raises is left pending and retried after CLAIM_IDLE_MS; once delivered
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
from django.db import close_old_connections, connection

from triage import stream
from triage.stream import IngestMessage, UndeliverableMessage
from triage.stream.outage import Outage, is_infrastructure_error

log = logging.getLogger(__name__)

CLAIM_EVERY_SECONDS = 5.0
TRIM_EVERY_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.5


class Abandoned(Exception):
    """The worker stops during an outage: the messages in hand stay pending for another consumer."""


@dataclass
class Handler:
    """How one stream is digested: prepare one message (may raise UndeliverableMessage), then
    write a batch of prepared messages and acknowledge them."""

    prepare: Callable
    write_and_ack: Callable  # (redis, stream, prepared list) -> None


def ensure_database() -> None:
    """Connects unless connected: a consumer whose database is away claims and reads nothing."""
    connection.ensure_connection()


class StreamConsumer:
    def __init__(self, redis, stream_name: str, consumer: str, handler: Handler, options: dict,
                 retiring: bool = False):
        self.redis = redis
        # A partition past the configured number: drained, then deleted, then this consumer stops.
        self.retiring = retiring
        self._empty_since: float | None = None
        self.stream = stream_name
        self.consumer = consumer
        self.handler = handler
        self.options = options
        self.stopping = threading.Event()
        self.outage = Outage(redis, consumer, stream_name)
        # No use claiming more often than a message can become idle enough to be claimed.
        self.claim_every = min(CLAIM_EVERY_SECONDS, options["CLAIM_IDLE_MS"] / 1000)
        self.max_backoff = options.get("OUTAGE_BACKOFF_MAX_SECONDS", 30)
        self._last_claim = float("-inf")
        self._last_trim = 0.0
        # Between batches, drop connections past their age or broken by a database restart.
        self.close_connections = close_old_connections
        self.check_database = ensure_database

    def run(self) -> None:
        """Runs until `stopping` is set. A helper thread reads and prepares the next batch while
        this one writes the current one: preparing (JSON, fingerprints) is CPU work, writing is
        mostly waiting on the database, so the two overlap (measured with bench/pipeline_bench.py)."""
        self._guarded(self._retry, "read", stream.ensure_group, self.redis, self.stream)
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
            self._guarded(self._retry, "read", self._read_into, batches)

    def _read_into(self, batches: queue.Queue) -> None:
        self._wait_until_ready()
        for entries, claimed in self.fetch(time.monotonic()):
            prepared = self.stage(entries, claimed)
            if prepared:
                batches.put(prepared)  # waits while the writer is busy: at most one batch ahead

    def _wait_until_ready(self) -> None:
        """Claims and reads nothing while the writer rides out an outage or the database is away:
        what is read would only wait in memory, and what is claimed would spend a delivery."""
        while self.outage.failing("write"):
            if self.stopping.wait(0.1):
                raise Abandoned
        self.check_database()

    def _guarded(self, step, *args) -> None:
        """Runs one step of a loop; an unexpected error is logged, and the loop carries on."""
        self._reset_connections()
        try:
            step(*args)
        except Abandoned:
            return
        except Exception as exc:
            if isinstance(exc, redis.ResponseError) and ("NOGROUP" in str(exc) or "UNBLOCKED" in str(exc)):
                # The stream was deleted or Redis flushed: start again (never let this kill the loop).
                self._guarded(self._retry, "read", stream.ensure_group, self.redis, self.stream)
                return
            log.exception("consumer %s on %s failed; retrying", self.consumer, self.stream)
            self._reset_connections()
            self.stopping.wait(1.0)

    def _retry(self, site: str, step, *args, hold: list[bytes] = ()):
        """Runs `step` until it does not fail for want of the database or Redis, waiting 0.5, 1,
        2 … OUTAGE_BACKOFF_MAX_SECONDS between attempts, and returns its result. Meanwhile the
        messages in `hold` stay this consumer's (see stream.hold). Any other error is raised at
        once; Abandoned is raised when the worker stops during the outage."""
        delay = min(FIRST_BACKOFF_SECONDS, self.max_backoff)
        while True:
            try:
                result = step(*args)
            except Abandoned:
                raise
            except Exception as exc:
                if not is_infrastructure_error(exc):
                    self.outage.recovered(site)  # it answered: the fault is elsewhere
                    raise
                self.outage.failed(site, exc, held=len(hold))
                self._reset_connections()
                self._hold(hold)
                if self.stopping.wait(delay):
                    raise Abandoned from None
                delay = min(delay * 2, self.max_backoff)
            else:
                self.outage.recovered(site)
                return result

    def run_once(self, now: float | None = None) -> int:
        """One turn of the loop without the helper thread (for tests); returns messages handled."""
        self._reset_connections()
        handled = 0
        for entries, claimed in self.fetch(time.monotonic() if now is None else now):
            handled += len(entries)
            self.commit(self.stage(entries, claimed))
        return handled

    def fetch(self, now: float):
        """The batches of this turn: reclaimed messages (every few seconds), then new ones."""
        if now - self._last_claim >= self.claim_every:
            self._last_claim = now
            yield self.claim(), True
        entries = stream.read_new(self.redis, self.stream, self.consumer, self.options["BATCH_SIZE"], self.options["BLOCK_MS"])
        yield entries, False
        if self.retiring:
            self._retire_when_drained(now, bool(entries))
        if now - self._last_trim >= TRIM_EVERY_SECONDS:
            self._last_trim = now
            stream.trim_processed(self.redis, self.stream)

    def _retire_when_drained(self, now: float, busy: bool) -> None:
        """Deletes this leftover partition's stream once it has been empty for RETIRE_IDLE_SECONDS
        (longer than a deployment takes to restart every ingest process on the new setting), and
        stops. Its dead letters stay, listed and replayable like any other."""
        if busy or self.redis.xlen(self.stream):
            self._empty_since = None
            return
        if self._empty_since is None:
            self._empty_since = now
        if now - self._empty_since >= self.options["RETIRE_IDLE_SECONDS"] and stream.retire_if_drained(self.redis, self.stream):
            log.info("partition stream %s drained and retired", self.stream)
            self.stopping.set()

    def claim(self):
        return stream.claim_idle(
            self.redis, self.stream, self.consumer, self.options["CLAIM_IDLE_MS"], self.options["BATCH_SIZE"]
        )

    def stage(self, entries, claimed: bool = False) -> list:
        """Dead-letters what is exhausted or undeliverable; returns the rest, prepared. Preparing
        may need the database (the project cache): while it is away, the entries are held."""
        if claimed and entries:
            entries = self._dead_letter_exhausted(entries)
        ids = [mid for mid, _ in entries]
        prepared = (self._retry("read", self._prepare, mid, fields, hold=ids) for mid, fields in entries)
        return [p for p in prepared if p is not None]

    def commit(self, prepared: list) -> None:
        """Writes and acknowledges a batch, riding out an outage; when the batch fails otherwise,
        retries its messages one by one so one poison message cannot hold up the others."""
        if not prepared:
            return
        try:
            self._retry("write", self.handler.write_and_ack, self.redis, self.stream, prepared, hold=_ids(prepared))
        except Abandoned:
            raise
        except Exception:
            log.warning("batch of %d failed; retrying its messages one by one", len(prepared), exc_info=True)
            self._reset_connections()
            for one in prepared:
                self._write_one(one)

    def _write_one(self, prepared) -> None:
        try:
            self._retry("write", self.handler.write_and_ack, self.redis, self.stream, [prepared], hold=_ids([prepared]))
        except Abandoned:
            raise
        except Exception as exc:
            # The message's own fault: left pending, reclaimed after CLAIM_IDLE_MS, dead-lettered
            # after MAX_DELIVERIES.
            log.warning("message %s failed: %s", prepared.message_id, exc)
            self._record_failure(prepared.message_id, exc)
            self._reset_connections()

    def _prepare(self, message_id: bytes, fields: dict):
        try:
            message = IngestMessage.from_fields(fields)
            return self.handler.prepare(message_id, message)
        except (KeyError, ValueError, UndeliverableMessage) as exc:
            self._dead_letter(message_id, fields, f"undeliverable: {exc}")
        except Exception as exc:
            if is_infrastructure_error(exc):
                raise  # to _retry: the message is not at fault
            log.warning("message %s could not be prepared: %s", message_id, exc)
            self._record_failure(message_id, exc)
        return None

    def _dead_letter_exhausted(self, entries):
        counts = stream.delivery_counts(self.redis, self.stream, [mid for mid, _ in entries])
        keep = []
        for mid, fields in entries:
            if counts.get(mid, 0) > self.options["MAX_DELIVERIES"]:
                reason = self.redis.hget(stream.errors_key(self.stream), mid) or b"no error recorded (worker died while processing)"
                self._dead_letter(mid, fields, f"failed {counts[mid] - 1} deliveries: {reason.decode()}")
            else:
                keep.append((mid, fields))
        return keep

    def _dead_letter(self, message_id: bytes, fields: dict, reason: str) -> None:
        log.error("dead-lettering %s from %s: %s", message_id, self.stream, reason)
        stream.dead_letter(self.redis, self.stream, message_id, fields, reason)

    def _record_failure(self, message_id: bytes, exc: Exception) -> None:
        try:
            stream.record_failure(self.redis, self.stream, message_id, _reason(exc))
        except redis.RedisError:
            pass  # the dead letter will say "no error recorded"; the message is still pending

    def _hold(self, ids: list[bytes]) -> None:
        try:
            stream.hold(self.redis, self.stream, self.consumer, list(ids))
        except redis.RedisError:
            pass  # Redis away: then no other consumer can claim them either

    def _reset_connections(self) -> None:
        try:
            self.close_connections()
        except Exception:  # closing a connection to a database that went away may fail too
            log.debug("closing the database connection failed", exc_info=True)


def _ids(prepared: list) -> list[bytes]:
    return [p.message_id for p in prepared]


def _reason(exc: Exception) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
