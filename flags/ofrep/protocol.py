"""OFREP (OpenFeature Remote Evaluation Protocol) on the wire: parse, evaluate, answer.

Plain functions over bytes, dicts and the compiled configuration; flags.ofrep.answers
authenticates, then calls these. The answers follow the OFREP specification
(https://github.com/open-feature/protocol, service/openapi.yaml) as the real Python provider
(openfeature-provider-ofrep 0.3) reads it:

- a success always has key, value, reason, variant (a string) and metadata (flat scalars);
  a killed flag answers its off value with reason DISABLED (never a missing value);
- every error is JSON `{"key", "errorCode", "errorDetails"}`, 400 or 404 on the single
  endpoint; in bulk, a flag's error is an item of the 200 answer;
- a request without `targetingKey` is fine until a flag needs one (a percentage split).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from config.edge import nested_deeper_than
from flags.cache import EnvironmentConfig
from flags.evaluation import Resolution, evaluate
from flags.models import SdkKeyKind

PARSE_ERROR = "PARSE_ERROR"
INVALID_CONTEXT = "INVALID_CONTEXT"
FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
GENERAL = "GENERAL"


class OfrepError(Exception):
    def __init__(self, status: int, code: str, details: str, key: str | None = None):
        super().__init__(details)
        self.status, self.code, self.details, self.key = status, code, details, key

    def body(self) -> dict:
        body = {"errorCode": self.code, "errorDetails": self.details}
        if self.key is not None:
            body = {"key": self.key, **body}
        return body


# Targeting reads flat attributes; a little nesting is allowed for apps that send objects along.
MAX_CONTEXT_DEPTH = 32


def parse_context(body: bytes, key: str | None = None) -> dict:
    """The flat evaluation context of a request body; `{}`, `{"context": {}}` and an empty body
    are all an empty context."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OfrepError(400, PARSE_ERROR, f"the body is not valid JSON: {exc}", key) from None
    except RecursionError:  # deeper than Python's recursion limit: bad input like any other
        raise OfrepError(400, PARSE_ERROR, "the body nests too deeply", key) from None
    if nested_deeper_than(data, MAX_CONTEXT_DEPTH):
        raise OfrepError(400, INVALID_CONTEXT, f"the context nests deeper than {MAX_CONTEXT_DEPTH} levels", key)
    if not isinstance(data, dict):
        raise OfrepError(400, INVALID_CONTEXT, "the body must be a JSON object {\"context\": {...}}", key)
    context = data.get("context", {})
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise OfrepError(400, INVALID_CONTEXT, "context must be a JSON object", key)
    targeting_key = context.get("targetingKey")
    if targeting_key is not None and not isinstance(targeting_key, str):
        raise OfrepError(400, INVALID_CONTEXT, "targetingKey must be a string", key)
    return context


def bearer_key(authorization: str, api_key: str = "") -> str:
    """The SDK key from `Authorization: Bearer <key>` or `X-API-Key: <key>` (both in the spec)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return api_key.strip()


def visible(flag: dict | None, key_kind: str) -> bool:
    """Client keys (public, in browsers) see only the flags marked client-side."""
    return flag is not None and (key_kind == SdkKeyKind.SERVER or flag["client"])


def success(key: str, resolution: Resolution) -> dict:
    return {
        "key": key,
        "value": resolution.value,
        "reason": resolution.reason,
        "variant": resolution.variant,
        "metadata": resolution.metadata,
    }


def not_found(key: str) -> OfrepError:
    return OfrepError(404, FLAG_NOT_FOUND, f"flag {key!r} is not defined for this project and SDK key", key)


def evaluate_single(config: EnvironmentConfig, key: str, context: dict, key_kind: str) -> tuple[dict, str]:
    """(200 body, variant) for one flag; raises OfrepError for 400 and 404 answers."""
    flag = config.flags.get(key)
    if not visible(flag, key_kind):
        raise not_found(key)
    resolution = evaluate(flag, context, config.flags)
    if resolution.error_code:
        status = 500 if resolution.error_code == GENERAL else 400  # GENERAL: our fault, not the request's
        raise OfrepError(status, resolution.error_code, resolution.error_details, key)
    return success(key, resolution), resolution.variant


def evaluate_bulk(config: EnvironmentConfig, context: dict, key_kind: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """(items, [(key, variant) evaluated]) for every flag the key may see, sorted by key."""
    items, evaluated = [], []
    for key in sorted(config.flags):
        flag = config.flags[key]
        if not visible(flag, key_kind):
            continue
        resolution = evaluate(flag, context, config.flags)
        if resolution.error_code:
            items.append({"key": key, "errorCode": resolution.error_code, "errorDetails": resolution.error_details,
                          "metadata": resolution.metadata})
        else:
            items.append(success(key, resolution))
            evaluated.append((key, resolution.variant))
    return items, evaluated


def bulk_etag(config: EnvironmentConfig, context: dict, key_kind: str) -> str:
    """A strong ETag for a bulk answer: it changes with the configuration version (so at once
    on every change) and with the context (a static-context client that changes user must
    not get a 304 for the previous user's flags)."""
    canonical = json.dumps(context, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{config.version}|{key_kind}|{canonical}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
