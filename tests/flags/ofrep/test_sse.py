"""flags.ofrep.sse: one subscription per process fanned out to capped streams; a client key never
sees server-only flag names; a revoked key's streams close and its signed URLs stop working."""

import json
import threading

import pytest
import redis
import requests
from django.conf import settings

from flags import changes, sdk_keys
from flags.ofrep import sse
from tests.flags.factories import make_flag, make_sdk_key
from tests.live import wait_for


def test_a_client_key_sees_a_flag_name_only_for_client_side_flags():
    message = {"type": "refetchEvaluation", "etag": "v2", "environment": "production", "flag": "secret-pricing",
               "action": "disabled", "change": 7, "client": False}
    assert sse.for_key_kind(message, "client") == {"type": "refetchEvaluation", "etag": "v2", "environment": "production"}
    assert sse.for_key_kind(message, "server")["flag"] == "secret-pricing"
    assert sse.for_key_kind({**message, "client": True}, "client")["flag"] == "secret-pricing"


def test_a_client_key_sees_only_the_client_side_dependants_of_a_change():
    message = {"type": "refetchEvaluation", "etag": "v3", "environment": "production", "flag": "new-checkout",
               "action": "disabled", "client": False, "dependants": ["tax", "tax-banner"], "client_dependants": ["tax-banner"]}
    assert sse.for_key_kind(message, "client") == {"type": "refetchEvaluation", "etag": "v3", "environment": "production",
                                                   "dependants": ["tax-banner"]}
    assert sse.for_key_kind(message, "server")["dependants"] == ["tax", "tax-banner"]
    assert "client_dependants" not in sse.for_key_kind(message, "server")


def test_streams_are_capped_per_key_and_a_closed_one_frees_its_place(settings):
    settings.SWITCHYARD = {**settings.SWITCHYARD, "FLAGS_SSE_STREAMS_PER_KEY": {"server": 2, "client": 5}}
    hub = sse.ChangeHub()
    first, _ = hub.open(1, "production", "server", 10), hub.open(1, "production", "server", 10)
    with pytest.raises(sse.TooManyStreams):
        hub.open(1, "production", "server", 10)
    hub.open(1, "production", "server", 11)  # another key has its own places
    hub.close(first)
    hub.open(1, "production", "server", 10)
    assert hub.count == 3


def test_a_change_reaches_only_the_streams_of_its_project_and_environment():
    hub = sse.ChangeHub()
    production, staging, other = (hub.open(1, "production", "server", 1), hub.open(1, "staging", "server", 1),
                                  hub.open(2, "production", "server", 2))
    hub.dispatch("switchyard:flags:changes:1", json.dumps({"environment": "production", "flag": "f"}).encode())
    assert (production.queue.qsize(), staging.queue.qsize(), other.queue.qsize()) == (1, 0, 0)
    hub.dispatch(sse.REVOKED_CHANNEL, b"2")
    assert other.queue.get_nowait() is sse.CLOSE


def test_a_token_names_its_key_and_an_older_token_is_refused():
    assert sse.read_stream_token(sse.stream_token(3, "production", "client", 42)) == (3, "production", "client", 42)
    from django.core import signing

    assert sse.read_stream_token(signing.TimestampSigner(salt=sse.SALT).sign("3:client:production")) is None


def listen(url, headers=None):
    """Opens a stream on a thread; returns (lines, connected event, finished event)."""
    lines, connected, finished = [], threading.Event(), threading.Event()

    def run():
        try:
            with requests.get(url, headers=headers or {}, stream=True, timeout=30) as response:
                lines.append(response.status_code)
                for line in response.iter_lines():
                    lines.append(line)
                    if line.startswith(b": connected"):
                        connected.set()
        except requests.RequestException:
            pass
        finally:
            finished.set()

    threading.Thread(target=run, daemon=True).start()
    return lines, connected, finished


@pytest.mark.integration
def test_many_streams_share_one_redis_subscription(live_stack, project):
    key = make_sdk_key(project)
    client = redis.Redis.from_url(settings.REDIS_URL)

    def subscribers():  # of this Redis database (other runs may share the server)
        db = str(client.connection_pool.connection_kwargs.get("db", 0))
        return len([c for c in client.client_list() if c.get("db") == db and (int(c.get("sub", 0)) or int(c.get("psub", 0)))])

    first = listen(f"{live_stack.url}/ofrep/v1/stream", {"Authorization": f"Bearer {key}"})
    assert first[1].wait(20)
    before = subscribers()
    streams = [listen(f"{live_stack.url}/ofrep/v1/stream", {"Authorization": f"Bearer {key}"}) for _ in range(20)]
    for _, connected, _ in streams:
        assert connected.wait(20)
    assert subscribers() == before  # the process's one subscription serves them all


@pytest.mark.integration
def test_revoking_a_key_closes_its_streams_and_its_signed_url_stops_working(live_stack, project, alice):
    make_flag(project, "new-checkout")
    plaintext = make_sdk_key(project)
    key = sdk_keys.SdkKey.objects.get(key_hash=sdk_keys.hash_key(plaintext))
    bulk = requests.post(f"{live_stack.url}/ofrep/v1/evaluate/flags", json={}, timeout=10,
                         headers={"Authorization": f"Bearer {plaintext}"}).json()
    url = bulk["eventStreams"][0]["url"]
    lines, connected, finished = listen(url)
    assert connected.wait(20)
    sdk_keys.revoke_sdk_key(key, actor=alice, source="dashboard")
    assert finished.wait(20), "the stream stayed open after its key was revoked"
    assert requests.get(url, timeout=10).status_code == 401


@pytest.mark.integration
def test_a_client_keys_stream_does_not_name_server_only_flags(live_stack, project, alice):
    secret = make_flag(project, "secret-pricing")
    lines, connected, _ = listen(f"{live_stack.url}/ofrep/v1/stream", {"Authorization": f"Bearer {make_sdk_key(project, kind='client')}"})
    assert connected.wait(20)
    changes.disable_flag(secret, "production", actor=alice, reason="leak test", source="dashboard")
    data = wait_for(lambda: [json.loads(line[6:]) for line in lines if isinstance(line, bytes) and line.startswith(b"data: ")],
                    what="the change event")
    assert data[0]["type"] == "refetchEvaluation" and "secret-pricing" not in json.dumps(data)
