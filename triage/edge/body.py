"""A request body read as a stream: Content-Encoding undone a piece at a time, envelope lines and
items read from it, and the pieces Switchyard does not keep skipped without ever being held.

Why a stream: an envelope may decompress to 100 MB (attachments and replays ride along with an
event), but the only items kept are an event and log batches of at most MAX_EVENT_BYTES each.
Inflating the whole body first cost 95 MB of memory per request and let one client starve the
process; read this way a request holds its compressed body, one buffer of CHUNK bytes and the items
it keeps, whatever the body claims to decompress to.

Every refusal is an IngestError with the status a Sentry client understands (400, 413).
"""

from __future__ import annotations

import zlib

import brotli

from triage.edge.errors import IngestError

CHUNK = 64 * 1024


class Source:
    """Decompressed bytes, pulled: read(n) gives at most n bytes, b"" once at the end."""

    def read(self, n: int) -> bytes:
        raise NotImplementedError


class Plain(Source):
    def __init__(self, data: bytes):
        self.data, self.pos = memoryview(data), 0

    def read(self, n: int) -> bytes:
        piece = self.data[self.pos : self.pos + n]
        self.pos += len(piece)
        return bytes(piece)


class Inflate(Source):
    """gzip, or HTTP "deflate" (zlib-wrapped, or raw as some clients send it)."""

    def __init__(self, inner: Source, gzip: bool):
        self.inner, self.gzip = inner, gzip
        self.decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
        self.pending = b""

    def read(self, n: int) -> bytes:
        while True:
            if self.decompressor is not None and self.decompressor.eof:
                return b""
            data = self.pending or self.inner.read(CHUNK)
            self.pending = b""
            if self.decompressor is None:  # deflate: the first byte tells zlib-wrapped from raw
                self.decompressor = zlib.decompressobj(zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS)
            if not data:
                raise IngestError(400, "bad compressed body: truncated")
            try:
                out = self.decompressor.decompress(data, n)
            except zlib.error as exc:
                raise IngestError(400, f"bad compressed body: {exc}") from None
            self.pending = self.decompressor.unconsumed_tail
            if out:
                return out


class Unbrotli(Source):
    def __init__(self, inner: Source):
        self.inner, self.decompressor, self.done = inner, brotli.Decompressor(), False

    def read(self, n: int) -> bytes:
        while not self.done:
            if self.decompressor.can_accept_more_data():
                data = self.inner.read(CHUNK)
                if not data:
                    if not self.decompressor.is_finished():
                        raise IngestError(400, "bad brotli body: truncated")
                    self.done = True
                    return b""
            else:
                data = b""  # output is waiting from the last input
            try:
                out = self.decompressor.process(data, output_buffer_limit=n)
            except brotli.error as exc:
                raise IngestError(400, f"bad brotli body: {exc}") from None
            if self.decompressor.is_finished() and self.decompressor.can_accept_more_data():
                self.done = True
            if out:
                return out
        return b""


class Limited(Source):
    """Refuses with 413 once more than `limit` bytes came out, without reading further. With
    `budget`, raises OverBudget once that many came out (the caller continues off the event loop)."""

    def __init__(self, inner: Source, limit: int, budget: int | None = None):
        self.inner, self.limit, self.budget, self.total = inner, limit, budget, 0

    def read(self, n: int) -> bytes:
        out = self.inner.read(n)
        self.total += len(out)
        if self.total > self.limit:
            raise IngestError(413, f"decompressed body is over {self.limit} bytes")
        if self.budget is not None and self.total > self.budget:
            raise OverBudget
        return out


class OverBudget(Exception):
    """More work than the event loop should do inline: do it again in a worker thread."""


def decoded(body: bytes, content_encoding: str, limit: int, budget: int | None = None) -> Source:
    """The body with its Content-Encoding (gzip, deflate, br, or a list of them) undone lazily."""
    source: Source = Plain(body)
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    for encoding in reversed(encodings):
        if encoding in ("gzip", "x-gzip"):
            source = Inflate(source, gzip=True)
        elif encoding == "deflate":
            source = Inflate(source, gzip=False)
        elif encoding == "br":
            source = Unbrotli(source)
        elif encoding != "identity":
            raise IngestError(400, f"unsupported Content-Encoding {encoding!r}")
    return Limited(source, limit, budget)


class Reader:
    """Lines and counted runs of bytes over a Source, holding at most what it is asked for."""

    def __init__(self, source: Source):
        self.source, self.buffer, self.ended = source, bytearray(), False

    def _fill(self) -> bool:
        if self.ended:
            return False
        data = self.source.read(CHUNK)
        if not data:
            self.ended = True
            return False
        self.buffer += data
        return True

    def at_end(self) -> bool:
        return not self.buffer and not self._fill()

    def line(self, max_length: int, what: str) -> bytes:
        """The bytes up to the next newline (or the end), which is consumed."""
        start = 0
        while True:
            newline = self.buffer.find(b"\n", start)
            if newline >= 0:
                if newline > max_length:
                    raise IngestError(413, f"{what} is over {max_length} bytes")
                line = bytes(self.buffer[:newline])
                del self.buffer[: newline + 1]
                return line
            if len(self.buffer) > max_length:
                raise IngestError(413, f"{what} is over {max_length} bytes")
            start = len(self.buffer)
            if not self._fill():
                line = bytes(self.buffer)
                self.buffer.clear()
                return line

    def exactly(self, length: int) -> bytes:
        while len(self.buffer) < length:
            if not self._fill():
                raise IngestError(400, "item length runs past the end of the envelope")
        data = bytes(self.buffer[:length])
        del self.buffer[:length]
        return data

    def skip(self, length: int) -> None:
        """Drops `length` bytes without keeping more than one buffer of them."""
        while length > 0:
            if not self.buffer and not self._fill():
                raise IngestError(400, "item length runs past the end of the envelope")
            dropped = min(length, len(self.buffer))
            del self.buffer[:dropped]
            length -= dropped

    def skip_line(self) -> None:
        """Drops the bytes up to the next newline, however long, keeping one buffer at most."""
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                del self.buffer[: newline + 1]
                return
            self.buffer.clear()
            if not self._fill():
                return

    def newline(self) -> None:
        """Consumes the newline that may follow a counted payload."""
        if self.buffer[:1] == b"\n" or (not self.buffer and self._fill() and self.buffer[:1] == b"\n"):
            del self.buffer[:1]
