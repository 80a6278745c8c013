"""A small keep-alive HTTP/1.1 load generator on asyncio streams (no dependencies), so the client
spends as little of the shared 2 cores as possible."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit


class Result:
    def __init__(self):
        self.statuses: Counter = Counter()
        self.latencies: list[float] = []
        self.started = self.finished = 0.0


async def _connection(host, port, path, headers: bytes, next_body: Callable[[], bytes | None], result: Result):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (body := next_body()) is not None:
            sent = time.perf_counter()
            writer.write(b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (path, headers, len(body)) + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - sent)
            result.statuses[int(status_line.split()[1])] += 1
    finally:
        writer.close()


async def post_all(url: str, headers: dict[str, str], bodies, concurrency: int) -> Result:
    """POSTs every body from the iterator `bodies` over `concurrency` keep-alive connections."""
    parts = urlsplit(url)
    host_header = f"Host: {parts.hostname}:{parts.port}\r\n"
    raw_headers = (host_header + "".join(f"{k}: {v}\r\n" for k, v in headers.items())).encode()
    iterator = iter(bodies)
    result = Result()

    def next_body():
        return next(iterator, None)

    result.started = time.perf_counter()
    await asyncio.gather(*[
        _connection(parts.hostname, parts.port, parts.path.encode(), raw_headers, next_body, result)
        for _ in range(concurrency)
    ])
    result.finished = time.perf_counter()
    return result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
