"""The dead-letter streams: list, replay and purge, for the dashboard (/dead-letters/) and the
management commands (list_dead_letters, replay_dead_letters, purge_dead_letters).

A dead letter is its message's own fields plus `reason`, `original_id` and `dead_at`
(triage.stream.dead_letter_entry). Replaying appends the message's own fields to its stream and
deletes the dead letter in one Lua script, so a dead letter leaves its stream only once the
append has succeeded. Nothing trims the dead-letter streams: a dead letter leaves only by a
replay or a purge, and the health endpoint reports how many there are.

A partitioned stream's dead letters are in one dead-letter stream per partition (the replay
script touches both streams, so they share the partition's slot); they are listed together, and a
dead letter of partition n > 0 is named `<id>@n`, since two partitions may hand out the same id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from triage import stream

STREAM_NAMES = {"events": stream.EVENTS, "logs": stream.LOGS, "sessions": stream.SESSIONS}  # as the dashboard and commands name them
STREAM_LABELS = {key: name for name, key in STREAM_NAMES.items()}
PAGE = 200  # entries per XRANGE while scanning: payloads may be large
ID = re.compile(r"\d+-\d+(@\d+)?")

# KEYS[1] the dead-letter stream, KEYS[2] the message's stream; ARGV[1] the dead letter's id,
# then the message's field/value pairs. A failed XADD aborts the script before the XDEL.
# KEYS: the dead-letter stream, the stream, its byte count; ARGV: the dead letter's id, the bytes
# its payload adds to the count (the byte-bounded streams' cap, triage.stream.APPEND_SCRIPT), its fields.
REPLAY_SCRIPT = """
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
if tonumber(ARGV[2]) > 0 then
  redis.call('INCRBY', KEYS[3], ARGV[2])
end
redis.call('XDEL', KEYS[1], ARGV[1])
return id
"""


@dataclass(frozen=True)
class Selection:
    """Which dead letters: of some streams, by dead-letter id, project, or a substring of the
    reason (case-insensitive). Criteria combine; with none, every dead letter is selected."""

    streams: tuple[str, ...] = stream.STREAMS
    ids: frozenset[str] = field(default_factory=frozenset)
    project_id: int | None = None
    reason: str = ""

    @classmethod
    def parse(cls, stream_name: str = "", ids=(), project: str | int | None = None, reason: str = "") -> Selection:
        """From a form or command line; raises ValueError on an unknown stream or a bad project id."""
        if stream_name and stream_name not in STREAM_NAMES:
            raise ValueError(f"unknown stream {stream_name!r} (one of {', '.join(STREAM_NAMES)})")
        streams = (STREAM_NAMES[stream_name],) if stream_name else stream.STREAMS
        project_id = int(project) if project not in (None, "") else None
        ids = frozenset(i.strip() for i in ids if i and i.strip())
        bad = [i for i in ids if not ID.fullmatch(i)]
        if bad:
            raise ValueError(f"not a stream id: {bad[0]!r}")
        return cls(streams, ids, project_id, (reason or "").strip())

    @property
    def is_everything(self) -> bool:
        return not (self.ids or self.project_id is not None or self.reason) and self.streams == stream.STREAMS

    def matches(self, dead_id: str, fields: dict) -> bool:
        if self.ids and dead_id not in self.ids:
            return False
        if self.project_id is not None and fields.get(b"project") != str(self.project_id).encode():
            return False
        return not self.reason or self.reason.lower() in _text(fields, b"reason").lower()


@dataclass(frozen=True)
class DeadLetter:
    stream: str  # the stream the message came from, as STREAM_NAMES names it
    id: str  # its id in the dead-letter stream
    original_id: str
    project: str
    event_id: str
    reason: str
    dead_at: float | None
    payload: str  # the start of it, for a look


def _partitions(client, streams) -> list[str]:
    """The streams of a selection, each partitioned one as its partitions."""
    partitions = stream.known_partitions(client)
    return [name for base in streams for name in stream.partition_streams(base, partitions)]


def count_dead_letters(client) -> dict[str, int]:
    """{stream name: how many dead letters} for every stream, over its partitions."""
    names = _partitions(client, STREAM_NAMES.values())
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.xlen(stream.dead_letter_stream(name))
    counts = dict.fromkeys(STREAM_NAMES, 0)
    for name, count in zip(names, pipe.execute(), strict=True):
        counts[STREAM_LABELS[stream.base_stream(name)]] += count
    return counts


def list_dead_letters(client, selection: Selection, limit: int = 100, preview: int = 2000) -> list[DeadLetter]:
    """The newest `limit` dead letters of the selection, per stream in the selection's order."""
    found = []
    for name in _partitions(client, selection.streams):
        shown = 0
        for dead_id, fields in _scan(client, name, selection, newest_first=True):
            if shown == limit:
                break
            found.append(_dead_letter(name, dead_id, fields, preview))
            shown += 1
    return found


def replay_dead_letters(client, selection: Selection) -> int:
    """Puts each selected message back on its stream, with its own fields, and deletes its dead
    letter once the append has succeeded. Returns how many were replayed."""
    script = client.register_script(REPLAY_SCRIPT)
    replayed = 0
    for name in _partitions(client, selection.streams):
        for dead_id, fields in _scan(client, name, selection):
            args = [dead_id, len(fields.get(b"payload", b"")) if stream.is_byte_bounded(name) else 0]
            for key, value in fields.items():
                if key not in stream.DEAD_LETTER_FIELDS:
                    args += [key, value]
            script(keys=[stream.dead_letter_stream(name), name, stream.bytes_key(name)], args=args)
            replayed += 1
    return replayed


def purge_dead_letters(client, selection: Selection) -> int:
    """Deletes the selected dead letters for good. Returns how many."""
    purged = 0
    for name in _partitions(client, selection.streams):
        batch = [dead_id for dead_id, _ in _scan(client, name, selection)]
        for start in range(0, len(batch), 500):
            purged += client.xdel(stream.dead_letter_stream(name), *batch[start:start + 500])
    return purged


def _scan(client, name: str, selection: Selection, newest_first: bool = False) -> Iterator[tuple[str, dict]]:
    """The selected dead letters of one stream, page by page (safe to delete while scanning)."""
    dead = stream.dead_letter_stream(name)
    partition = stream.partition_of(name)
    if selection.ids:  # straight to them
        refs = [stream.parse_message_ref(ref) for ref in selection.ids]
        mine = [dead_id for dead_id, p in refs if p == partition]
        for dead_id in sorted(mine, key=stream._id_key, reverse=newest_first):
            for entry_id, fields in client.xrange(dead, min=dead_id, max=dead_id):
                if selection.matches(stream.message_ref(entry_id, partition), fields):
                    yield entry_id.decode(), fields
        return
    bound = "+" if newest_first else "-"
    while True:
        if newest_first:
            page = client.xrevrange(dead, max=bound, min="-", count=PAGE)
        else:
            page = client.xrange(dead, min=bound, max="+", count=PAGE)
        for entry_id, fields in page:
            if selection.matches(stream.message_ref(entry_id, partition), fields):
                yield entry_id.decode(), fields
        if len(page) < PAGE:
            return
        bound = "(" + page[-1][0].decode()  # exclusive: the next page starts after this one


def _dead_letter(name: str, dead_id: str, fields: dict, preview: int) -> DeadLetter:
    try:
        dead_at = float(_text(fields, b"dead_at"))
    except ValueError:
        dead_at = None
    return DeadLetter(
        stream=STREAM_LABELS.get(stream.base_stream(name), name),
        id=stream.message_ref(dead_id, stream.partition_of(name)),
        original_id=_text(fields, b"original_id"),
        project=_text(fields, b"project"),
        event_id=_text(fields, b"event_id"),
        reason=_text(fields, b"reason"),
        dead_at=dead_at,
        payload=_text(fields, b"payload")[:preview],
    )


def _text(fields: dict, name: bytes) -> str:
    return fields.get(name, b"").decode("utf-8", "replace")
