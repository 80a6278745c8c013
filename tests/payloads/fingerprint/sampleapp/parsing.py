"""App code whose exceptions are raised inside the standard library."""

import json


def parse_payload(raw: str) -> dict:
    return json.loads(raw)


def parse_quantity(text: str) -> int:
    return int(text)


def lookup_price(catalog: dict, sku: str) -> int:
    return catalog[sku]


def import_feed(lines: list[str]) -> list[dict]:
    return [parse_payload(line) for line in lines]
