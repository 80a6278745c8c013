"""Exposure counters: the denominators for error rates per flag cohort."""

from flags.exposures import exposure_counts, minute_of_epoch, record_evaluations

T = 1_800_000_000.0  # a fixed moment, so the test never straddles a minute


def test_counts_per_flag_variant_environment_and_minute(redis_client):
    record_evaluations(redis_client, 1, "production", [("a", "on"), ("a", "off"), ("b", "on")], T)
    record_evaluations(redis_client, 1, "production", [("a", "on")], T + 60)
    record_evaluations(redis_client, 1, "staging", [("a", "on")], T)
    record_evaluations(redis_client, 2, "production", [("a", "on")], T)
    minute = minute_of_epoch(T)
    assert exposure_counts(redis_client, 1, "a", "production", [minute, minute + 60, minute + 120]) == {
        minute: {"on": 1, "off": 1}, minute + 60: {"on": 1}, minute + 120: {}}


def test_flag_whose_key_is_a_prefix_of_another_is_counted_apart(redis_client):
    record_evaluations(redis_client, 1, "production", [("new", "on"), ("new-checkout", "on")], T)
    assert exposure_counts(redis_client, 1, "new", "production", [minute_of_epoch(T)]) == {minute_of_epoch(T): {"on": 1}}


def test_counters_expire(redis_client, tunables):
    tunables["FLAGS_EXPOSURE_TTL_SECONDS"] = 120
    record_evaluations(redis_client, 1, "production", [("a", "on")], T)
    assert 0 < redis_client.ttl(f"switchyard:flags:exposures:1:production:{minute_of_epoch(T)}") <= 120


def test_minute_is_epoch_seconds_rounded_down_to_60():
    assert minute_of_epoch(T + 59.9) == minute_of_epoch(T) and minute_of_epoch(T) % 60 == 0
