def average(values: list[float]) -> float:
    return sum(values) / len(values)


def ratio(part: int, whole: int) -> float:
    return part / whole
