"""projects.api: the JSON body every API reads is an object PostgreSQL can store, or a 400."""

import json

import pytest
from django.test import RequestFactory

from projects.api import BadRequest, json_body, storable


def body(raw: bytes):
    return json_body(RequestFactory().post("/", raw, content_type="application/json"))


def test_a_json_object_is_returned_as_is():
    assert body(b'{"a": ["b", {"c": 1}]}') == {"a": ["b", {"c": 1}]}


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"name": "a\u0000b"}).encode(),
        json.dumps({"deep": {"list": ["ok", {"x": "\ud800"}]}}).encode(),
        json.dumps({"key\u0000": 1}).encode(),
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in the parser
        b'{"a": 1}\x00',
        b"[1, 2]",
        b"\xff",
    ],
)
def test_bodies_that_cannot_be_stored_or_are_not_objects_are_bad_requests(raw):
    with pytest.raises(BadRequest):
        body(raw)


def test_storable_drops_nul_and_replaces_lone_surrogates():
    assert storable("a\u0000b\ud800c\U0001f600") == "ab\ufffdc\U0001f600"
