"""The one way to get a Redis client, synchronous or asyncio, for settings.REDIS_URL.

Synchronous code (views, tasks, the stream consumers, signal receivers) shares the connection
pool of the Django cache (django-redis): one pool per process, thread-safe, so the consumer
threads' blocking reads and the views' short commands never open a connection each. Asyncio
code (the ingest and OFREP front doors, server-sent events) needs a client bound to its own
event loop, so it asks for a new one and closes it when done.

REDIS_URL may name a Redis Cluster: `redis+cluster://host:port,host:port` (`rediss+cluster://`
for TLS; an optional `user:password@` before the first node). Any one reachable node is enough; the client learns the
others from it (CLUSTER SLOTS) and follows MOVED redirections (redis-py's RedisCluster,
https://redis.readthedocs.io/en/stable/clustering.html). django-redis has no cluster client
(https://github.com/jazzband/django-redis/issues/208), so ClusterConnectionFactory plugs
redis-py's into it through its CONNECTION_FACTORY option.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

import redis.asyncio
import redis.asyncio.cluster
import redis.cluster
from django.conf import settings
from django_redis import get_redis_connection
from django_redis.pool import ConnectionFactory

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme → TLS


@dataclass(frozen=True)
class ClusterURL:
    nodes: list[tuple[str, int]]
    username: str | None = None
    password: str | None = None
    ssl: bool = False


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def parse_cluster_url(url: str) -> ClusterURL:
    """`redis+cluster://[user:password@]host:port[,host:port…][/][?…]`; ValueError when malformed."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in CLUSTER_SCHEMES:
        raise ValueError("a Redis Cluster URL starts with redis+cluster:// or rediss+cluster://")
    rest, _, query = rest.partition("?")
    rest = rest.rstrip("/")
    if "/" in rest:
        raise ValueError("a Redis Cluster has only database 0: drop the /<db> from the URL")
    auth, _, hosts = rest.rpartition("@")
    username = password = None
    if auth:
        user, colon, secret = auth.partition(":")
        username, password = (unquote(user) or None, unquote(secret)) if colon else (None, unquote(user))
    nodes = []
    for node in hosts.split(","):
        host, colon, port = node.strip().rpartition(":")
        if not colon or not host or not port.isdigit():
            raise ValueError(f"{node!r} is not host:port")
        nodes.append((host.strip("[]"), int(port)))
    password = dict(parse_qsl(query)).get("password", password)
    return ClusterURL(nodes, username, password, CLUSTER_SCHEMES[scheme.lower()])


def _cluster_kwargs(url: str, **options) -> dict:
    parsed = parse_cluster_url(url)
    return {"username": parsed.username, "password": parsed.password, "ssl": parsed.ssl, **options}


def redis_client() -> redis.Redis | redis.cluster.RedisCluster:
    return get_redis_connection("default")


def thread_client() -> redis.Redis | redis.cluster.RedisCluster:
    """A client for one long-lived thread (a stream consumer). On a cluster, a RedisCluster of its
    own: redis-py 6.4's shares its node and slot tables between threads without the locking that
    https://github.com/redis/redis-py/pull/3803 added later, and a worker's two dozen consumer
    threads starting at once is the case it fixed. Otherwise the shared pool, which is thread-safe."""
    url = settings.REDIS_URL
    if not is_cluster_url(url):
        return redis_client()
    nodes = [redis.cluster.ClusterNode(host, port) for host, port in parse_cluster_url(url).nodes]
    # A read that never gets its answer (seen in the cluster test: a worker's XREADGROUP BLOCK 200
    # still waiting minutes later, its consumer never registered in the group) fails after this
    # instead, and the consumer's outage handling reconnects. Well past any BLOCK_MS or script.
    timeout = max(30.0, settings.SWITCHYARD["BLOCK_MS"] / 1000 + 10)
    return redis.cluster.RedisCluster(startup_nodes=nodes, **_cluster_kwargs(url, socket_timeout=timeout))


def async_redis_client(**options) -> redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster:
    """A new asyncio client; the caller closes it (`await client.aclose()`)."""
    url = settings.REDIS_URL
    if is_cluster_url(url):
        nodes = [redis.asyncio.cluster.ClusterNode(host, port) for host, port in parse_cluster_url(url).nodes]
        return redis.asyncio.cluster.RedisCluster(startup_nodes=nodes, **_cluster_kwargs(url, **options))
    return redis.asyncio.from_url(url, **options)


def async_pubsub_clients() -> list[redis.asyncio.Redis]:
    """Plain asyncio clients to subscribe with, to be tried in turn. redis-py's asyncio cluster
    client has no pub/sub; none is needed: in a cluster a PUBLISH reaches the subscribers of every
    node (https://redis.io/docs/latest/develop/interact/pubsub/#pubsub-in-redis-cluster), so one
    connection to any node hears every channel. Not sharded pub/sub: the channels are few."""
    url = settings.REDIS_URL
    if not is_cluster_url(url):
        return [redis.asyncio.from_url(url)]
    parsed = parse_cluster_url(url)
    return [redis.asyncio.Redis(host=host, port=port, username=parsed.username, password=parsed.password,
                                ssl=parsed.ssl) for host, port in parsed.nodes]


def is_cluster(client) -> bool:
    return isinstance(client, redis.cluster.RedisCluster | redis.asyncio.cluster.RedisCluster)


class _OneByOne:
    """A pipeline's interface over plain calls, for the commands redis-py's cluster pipeline
    refuses (PFCOUNT, PUBLISH: redis.cluster.PIPELINE_BLOCKED_COMMANDS): `execute` sends the queued
    commands in order, a round trip each."""

    def __init__(self, client):
        self._client, self._calls = client, []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self._calls.append((name, args, kwargs))

    def execute(self) -> list:
        calls, self._calls = self._calls, []
        return [getattr(self._client, name)(*args, **kwargs) for name, args, kwargs in calls]


def pipeline(client):
    """A non-transactional pipeline that may hold any command: redis-py's own, or, on a cluster,
    one that sends them one by one (see _OneByOne). Every multi-key command queued must name keys
    of one slot, as a cluster requires anyway."""
    return _OneByOne(client) if is_cluster(client) else client.pipeline(transaction=False)


class ClusterConnectionFactory(ConnectionFactory):
    """django-redis's connection factory, making a redis-py RedisCluster for a cluster URL (the
    cluster client keeps a pool per node itself) and a pooled client otherwise."""

    def connect(self, url: str):
        if not is_cluster_url(url):
            return super().connect(url)
        nodes = [redis.cluster.ClusterNode(host, port) for host, port in parse_cluster_url(url).nodes]
        return redis.cluster.RedisCluster(startup_nodes=nodes, **_cluster_kwargs(url, **self.redis_client_cls_kwargs))

    def disconnect(self, connection) -> None:
        if isinstance(connection, redis.cluster.RedisCluster):
            connection.close()
        else:
            super().disconnect(connection)


async def run_scripts(client: redis.asyncio.Redis, calls: list[tuple]) -> list:
    """Runs Lua scripts in one round trip: `calls` are (Script, keys, args), the results come in
    their order. redis-py's pipeline asks SCRIPT EXISTS before every execute that holds a script,
    a second round trip per ingest request; this sends EVALSHA alone and loads a script only when
    Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH), then runs just those calls again:
    a NOSCRIPT call did nothing, so nothing runs twice. On a cluster SCRIPT LOAD goes to every
    primary, so a script loaded once is there whichever node a later call lands on."""
    results = await _evalsha_all(client, calls)
    missing = [i for i, result in enumerate(results) if isinstance(result, redis.exceptions.NoScriptError)]
    if missing:
        for script in {id(calls[i][0]): calls[i][0] for i in missing}.values():
            await client.script_load(script.script)
        for i, result in zip(missing, await _evalsha_all(client, [calls[i] for i in missing]), strict=True):
            results[i] = result
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


async def _evalsha_all(client, calls) -> list:
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        return await _evalsha_on_cluster(client, calls)
    pipe = client.pipeline(transaction=False)
    for script, keys, args in calls:
        pipe.evalsha(script.sha, len(keys), *keys, *args)
    return await pipe.execute(raise_on_error=False)


async def _evalsha_on_cluster(client, calls) -> list:
    """redis-py's cluster pipeline refuses EVALSHA, so the calls go one by one, those of one hash
    slot in order (the appends of one request to one stream partition stay in order) and the slots
    side by side, each on its node's connection: one round trip per slot, all at once."""
    by_slot: dict[int, list[int]] = {}
    for i, (_, keys, _) in enumerate(calls):
        by_slot.setdefault(client.keyslot(keys[0]), []).append(i)
    results: list = [None] * len(calls)

    async def run(indexes: list[int]) -> None:
        for i in indexes:
            script, keys, args = calls[i]
            try:
                results[i] = await client.evalsha(script.sha, len(keys), *keys, *args)
            except redis.exceptions.RedisError as exc:
                results[i] = exc

    await asyncio.gather(*(run(indexes) for indexes in by_slot.values()))
    return results
