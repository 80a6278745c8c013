"""triage.attribution.suspects: flag values much more common on a group's events than on the project's others."""

from triage.attribution.suspects import flag_shares


def by_key(shares):
    return {(s.key, s.value): s for s in shares}


def test_a_value_on_all_of_the_groups_events_and_rarely_elsewhere_is_suspect():
    group = {("new-checkout", "true"): 100, ("dark-mode", "false"): 50, ("dark-mode", "true"): 50}
    # the project: the group's 100 events plus 1,000 others, 10 % with new-checkout on, half with dark mode
    project = {("new-checkout", "true"): 200, ("new-checkout", "false"): 900, ("dark-mode", "false"): 550, ("dark-mode", "true"): 550}
    shares = flag_shares(group, 100, project, 1100)
    assert shares[0].key == "new-checkout" and shares[0].suspect
    assert shares[0].share == 1.0 and shares[0].baseline_share == 0.1
    assert not by_key(shares)[("dark-mode", "true")].suspect


def test_a_flag_on_for_everyone_is_not_suspect():
    shares = flag_shares({("new-checkout", "true"): 100}, 100, {("new-checkout", "true"): 1100}, 1100)
    assert shares[0].share == 1.0 and not shares[0].suspect


def test_without_other_events_in_the_project_nothing_is_suspect_and_there_is_no_baseline():
    shares = flag_shares({("a", "true"): 40}, 40, {("a", "true"): 40}, 40)
    assert shares[0].baseline_share is None and not shares[0].suspect


def test_a_handful_of_events_is_not_enough_to_suspect_a_flag():
    shares = flag_shares({("a", "true"): 9}, 9, {("a", "true"): 9, ("a", "false"): 1000}, 1009)
    assert not shares[0].suspect


def test_the_group_itself_is_not_part_of_the_baseline():
    # 90 % of the project's errors are this group's: against all errors "true" would look normal
    shares = flag_shares({("a", "true"): 900}, 900, {("a", "true"): 900, ("a", "false"): 100}, 1000)
    assert shares[0].baseline_share == 0.0 and shares[0].suspect


def test_events_without_the_flag_count_as_unseen_not_as_off():
    shares = flag_shares({("beta", "true"): 50}, 100, {("beta", "true"): 50}, 1100)
    assert shares[0].share == 0.5 and shares[0].baseline_share == 0.0


def test_variants_are_compared_like_booleans():
    group = {("theme", "blue"): 80, ("theme", "red"): 20}
    project = {("theme", "blue"): 180, ("theme", "red"): 920}
    top = flag_shares(group, 100, project, 1100)[0]
    assert (top.key, top.value, top.suspect) == ("theme", "blue", True)


def test_a_lagging_project_total_never_makes_a_share_above_one():
    shares = flag_shares({("a", "true"): 10}, 10, {("a", "true"): 500}, 100)
    assert shares[0].baseline_share == 1.0
