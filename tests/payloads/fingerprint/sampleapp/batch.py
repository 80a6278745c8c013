def run_batch(rows: list[object]) -> None:
    errors: list[Exception] = []
    for row in rows:
        try:
            handle(row)
        except (ValueError, TypeError) as exc:
            errors.append(exc)
    if errors:
        raise ExceptionGroup(f"batch of {len(rows)} rows failed", errors)


def handle(row: object) -> None:
    if isinstance(row, str):
        raise ValueError(f"bad row {row!r}")
    if row is None:
        raise TypeError("row is None")
