"""triage.attribution.suspects: shares of a group's events per flag value, marked suspect only by
the window comparison, never by the share alone. Pure."""


from triage.attribution.ranking import Suspicion
from triage.attribution.suspects import flag_shares


def suspicion(key, value, suspect=True):
    return Suspicion(key, value, "production", "exposures", suspect, suspect, 0.001, 30, 300, 2, 900,
                     f"{key}={value} explains it", [])


def test_a_value_on_every_event_is_not_suspect_by_its_share_alone():
    shares = flag_shares({("new-checkout", "true"): 100}, 100)
    assert shares[0].share == 1.0 and not shares[0].suspect


def test_suspects_come_first_with_their_evidence_then_the_rest_by_share():
    counts = {("dark-mode", "true"): 90, ("new-checkout", "true"): 40, ("new-checkout", "false"): 60}
    shares = flag_shares(counts, 100, [suspicion("new-checkout", "true"), suspicion("dark-mode", "true", suspect=False)])
    assert [(s.key, s.value, s.suspect) for s in shares] == [
        ("new-checkout", "true", True), ("dark-mode", "true", False), ("new-checkout", "false", False)]
    assert shares[0].evidence == "new-checkout=true explains it" and shares[0].filter == "new-checkout:true"


def test_shares_never_pass_one_when_counts_run_ahead_of_the_total():
    assert flag_shares({("a", "true"): 12}, 10)[0].share == 1.0
