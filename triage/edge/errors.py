"""The one error of the edge: a refusal carrying the HTTP status a Sentry client understands
(400 malformed, 401 no or bad key, 403 wrong project, 413 too large, 429 over a limit)."""


class IngestError(Exception):
    def __init__(self, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or []
