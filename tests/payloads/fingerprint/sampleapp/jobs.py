import logging

import sentry_sdk

log = logging.getLogger("sampleapp.jobs")


def sync(name: str, retries: int) -> None:
    log.error("Failed to sync %s after %d retries", name, retries)


def sync_tenant(tenant_id: int, retries: int) -> None:
    # The anti-pattern: the template is already formatted, so only parameterisation can group it.
    log.error(f"Failed to sync tenant {tenant_id} after {retries} retries")


def enforce_quota(tenant_id: int, used: float) -> None:
    sentry_sdk.capture_message(f"Quota exceeded for tenant {tenant_id}: {used:.2f} GB used", level="warning")


def report_slow_query(table: str, ms: int) -> None:
    sentry_sdk.capture_message(f"Slow query on {table} took {ms}ms")


def import_row(row: str) -> None:
    from sampleapp.parsing import parse_quantity

    try:
        parse_quantity(row)
    except ValueError:
        log.exception("could not import row %r", row)
