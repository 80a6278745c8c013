"""Exposure counters: the denominators for error rates per flag cohort."""

from flags.exposures import exposure_counts, exposure_key, minute_of_epoch, record_evaluations

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
    assert 0 < redis_client.ttl(exposure_key(1, "production", minute_of_epoch(T))) <= 120


def test_minute_is_epoch_seconds_rounded_down_to_60():
    assert minute_of_epoch(T + 59.9) == minute_of_epoch(T) and minute_of_epoch(T) % 60 == 0


def test_users_exposed_to_each_variant_are_counted_and_overlap_with_the_affected(redis_client):
    from flags.exposures import exposed_users

    for n in range(100):
        variant = "on" if n % 4 == 0 else "off"  # 25 users on, 75 off
        record_evaluations(redis_client, 1, "production", [("checkout", variant)], T + n, targeting_key=f"u{n}")
    record_evaluations(redis_client, 1, "production", [("checkout", "on")], T, targeting_key="u0")  # again: one user
    affected = ["u0", "u4", "u8", "u1", "stranger"]  # three got "on", one "off", one was never exposed
    counts = exposed_users(redis_client, 1, "production", "checkout", ["on", "off"], T, T + 100, affected)
    (on, on_hit), (off, off_hit) = counts["on"], counts["off"]
    # HyperLogLog estimates: within a couple of users at this size, and never more hit than exposed.
    assert abs(on - 25) <= 1 and abs(off - 75) <= 2
    assert abs(on_hit - 3) <= 1 and off_hit <= 2 and on_hit <= on and off_hit <= off
    assert exposed_users(redis_client, 1, "staging", "checkout", ["on"], T, T + 100, affected) == {"on": (0, 0)}


def test_an_evaluation_without_a_targeting_key_counts_no_user(redis_client):
    from flags.exposures import exposed_users

    record_evaluations(redis_client, 1, "production", [("checkout", "on")], T)
    assert exposed_users(redis_client, 1, "production", "checkout", ["on"], T, T) == {"on": (0, 0)}
