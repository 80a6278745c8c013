"""The dead-letter streams, for staff: what could not be digested and why."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from config.redis_clients import redis_client
from triage import stream

SHOWN = 100


@staff_member_required
def dead_letter_list(request):
    client = redis_client()
    streams = []
    for name in stream.STREAMS:
        dead = stream.dead_letter_stream(name)
        entries = client.xrevrange(dead, count=SHOWN)
        streams.append({"name": dead, "length": client.xlen(dead), "entries": [_entry(mid, f) for mid, f in entries]})
    return render(request, "triage/dead_letters.html", {"streams": streams})


def _entry(message_id: bytes, fields: dict) -> dict:
    def text(name: bytes) -> str:
        return fields.get(name, b"").decode("utf-8", "replace")

    return {
        "id": message_id.decode(),
        "original_id": text(b"original_id"),
        "project": text(b"project"),
        "event_id": text(b"event_id"),
        "reason": text(b"reason"),
        "payload": text(b"payload")[:2000],
    }
