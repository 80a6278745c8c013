"""The dead-letter commands: list_dead_letters, replay_dead_letters, purge_dead_letters."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from triage import stream

pytestmark = pytest.mark.django_db
DEAD = stream.dead_letter_stream(stream.EVENTS)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_dead_letters(redis_client):
    for project, reason in ((1, "failed 5 deliveries: DataError"), (2, "undeliverable: not JSON")):
        redis_client.xadd(DEAD, {"v": "1", "project": str(project), "event_id": f"{project}" * 32, "received": "1.0",
                                 "payload": b"{}", "reason": reason, "original_id": "1-0", "dead_at": "1796000000.0"})


def test_list_shows_counts_and_the_dead_letters_of_a_filter(two_dead_letters):
    output = run("list_dead_letters", "--project", "2")
    assert output.splitlines()[0] == "events: 2 · logs: 0 · sessions: 0"
    [line] = output.splitlines()[1:]
    assert "\tevents\tproject 2\t" in line and line.endswith("undeliverable: not JSON")


def test_replay_and_purge_refuse_to_touch_everything_without_all(two_dead_letters, redis_client):
    for command in ("replay_dead_letters", "purge_dead_letters"):
        with pytest.raises(CommandError, match="--all"):
            run(command)
    assert redis_client.xlen(DEAD) == 2


def test_replay_by_reason_then_purge_all(two_dead_letters, redis_client):
    assert run("replay_dead_letters", "--reason", "DataError").strip() == "Replayed 1 dead letter."
    assert [f[b"project"] for _, f in redis_client.xrange(stream.EVENTS)] == [b"1"]
    assert run("purge_dead_letters", "--all").strip() == "Purged 1 dead letter."
    assert redis_client.xlen(DEAD) == 0


def test_an_unknown_dead_letter_id_is_refused(two_dead_letters):
    with pytest.raises(CommandError, match="not a stream id"):
        run("purge_dead_letters", "--id", "abc")
