from sampleapp.errors import ConfigError
from sampleapp.parsing import lookup_price, parse_payload


def load_config(raw: str) -> dict:
    try:
        return parse_payload(raw)
    except ValueError as exc:
        raise ConfigError("config is not valid JSON") from exc


def load_price(catalog: dict, sku: str) -> int:
    try:
        return lookup_price(catalog, sku)
    except KeyError:
        # No "from": Python links the KeyError as __context__ implicitly.
        raise ConfigError(f"no price configured for {sku}")  # noqa: B904


def load_setting(raw: str, key: str) -> object:
    try:
        return parse_payload(raw)[key]
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"setting {key} unavailable") from exc
