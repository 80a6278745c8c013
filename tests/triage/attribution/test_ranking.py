"""triage.attribution.ranking on cohorts whose cause is known: one bad flag among noise flags,
a flag another tool evaluates, a flag on for everyone changed just before, and a kill. Pure."""

import datetime as dt
import random

from triage.attribution.ranking import Change, Onset, ValueCounts, rank

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
APPEARED = Onset(NOW - dt.timedelta(minutes=10), "this group appeared")


def cohorts(seed=3, users=2000, bad_rate=0.06, base_rate=0.004, noise_flags=4):
    """Users split 50/50 on each of five flags; the errors come from `bad` = true only."""
    rng = random.Random(seed)
    flags = {"bad": {}, **{f"noise-{i}": {} for i in range(noise_flags)}}
    for _ in range(users):
        values = {key: rng.choice(["true", "false"]) for key in flags}
        hit = rng.random() < (bad_rate if values["bad"] == "true" else base_rate)
        for key, value in values.items():
            exposed, affected = flags[key].get(value, (0, 0))
            flags[key][value] = (exposed + 1, affected + hit)
    return {key: [ValueCounts(v, affected=a, exposed=e) for v, (e, a) in values.items()] for key, values in flags.items()}


def test_the_causal_flag_ranks_first_and_is_the_only_significant_one():
    for seed in range(10):
        ranked = rank(cohorts(seed), {}, "production", APPEARED)
        assert (ranked[0].key, ranked[0].value, ranked[0].significant) == ("bad", "true", True)
        assert [s.key for s in ranked if s.significant] == ["bad"]
        assert not any(s.suspect for s in ranked[1:])
        assert ranked[0].rate_with <= 1 and ranked[0].rate_without <= 1


def test_both_values_of_a_flag_are_never_suspect_together():
    ranked = rank(cohorts(), {}, "production", APPEARED)
    assert len({(s.key, s.value) for s in ranked}) == len({s.key for s in ranked}) == 5


def test_without_a_cause_nothing_is_significant():
    for seed in range(10):
        ranked = rank(cohorts(seed, bad_rate=0.004), {}, "production", APPEARED)
        assert not any(s.significant or s.suspect for s in ranked)


def test_after_a_kill_the_value_nobody_gets_any_more_explains_nothing_new():
    """A group unrelated to the killed flag: its users were hit at the same rate on either value."""
    killed = {"bad": [ValueCounts("true", affected=2, exposed=500), ValueCounts("false", affected=6, exposed=1500)]}
    kill = Change("disabled", NOW - dt.timedelta(minutes=5), "alice", "production", "false")
    ranked = rank(killed, {"bad": [kill]}, "production", Onset(NOW - dt.timedelta(days=2), "this group appeared"))
    assert not ranked[0].suspect and not ranked[0].significant


def test_a_flag_of_another_tool_is_compared_on_events_in_the_same_minutes():
    flags = {"other-tool": [ValueCounts("blue", affected=300, exposed=None, others=100),
                            ValueCounts("green", affected=0, exposed=None, others=900)]}
    [suspicion] = rank(flags, {}, "production", APPEARED, other_events=1000)
    assert (suspicion.value, suspicion.basis, suspicion.significant) == ("blue", "events", True)
    assert "another tool" in suspicion.evidence


def test_a_flag_on_for_everyone_is_suspect_by_timing_only():
    flags = {"new-checkout": [ValueCounts("true", affected=40, exposed=3000)]}
    enabled = Change("enabled", APPEARED.at - dt.timedelta(minutes=3), "bob", "production", "true")
    [suspicion] = rank(flags, {"new-checkout": [enabled]}, "production", APPEARED)
    assert suspicion.suspect and not suspicion.significant and suspicion.basis == "timing"
    assert suspicion.evidence.startswith("enabled in production 3 min before this group appeared, by bob")
    stale = Change("enabled", APPEARED.at - dt.timedelta(hours=5), "bob", "production", "true")
    assert not rank(flags, {"new-checkout": [stale]}, "production", APPEARED)[0].suspect


def test_a_handful_of_users_is_not_enough():
    flags = {"f": [ValueCounts("true", affected=3, exposed=10), ValueCounts("false", affected=0, exposed=1000)]}
    assert not rank(flags, {}, "production", APPEARED)[0].significant
