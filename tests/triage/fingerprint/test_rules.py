"""Project stack rules: parse_rules validation, and helper frames skipped when choosing the site
(by every algorithm: see the ``algorithm`` fixture)."""

from __future__ import annotations

import pytest

from triage.fingerprint import parse_rules

HELPER_EVENTS = ("fail_helper_reserve", "fail_helper_reserve_other", "fail_helper_release")


# --- parse_rules ------------------------------------------------------------------------------


def test_parse_rules_skips_blank_lines_and_comments():
    text = "# helpers that raise for their callers\n\nfunction:fail\n   \n  module:shop.errors  \n#path:x\n"
    assert parse_rules(text) == ["function:fail", "module:shop.errors"]


def test_parse_rules_accepts_sentry_style_matcher_names():
    assert parse_rules("stack.function:fail\nstack.module:shop.*\nstack.abs_path:**/vendor/**") == [
        "function:fail",
        "module:shop.*",
        "path:**/vendor/**",
    ]


def test_parse_rules_of_empty_text_is_an_empty_list():
    assert parse_rules("") == []
    assert parse_rules("# nothing yet\n") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("function:fail\nfunc:fail", r"line 2 \('func:fail'\): unknown matcher 'func'"),
        ("fail", r"line 1 \('fail'\): expected <matcher>:<glob>"),
        ("\n\nmodule:", r"line 3 \('module:'\): module: needs a glob"),
        ("function:fail -group", r"line 1 .*cannot contain spaces.*-group are not supported"),
        ("path:" + "x" * 600, r"line 1 .*limited to 500 characters"),
    ],
)
def test_parse_rules_rejects_a_bad_line_naming_it(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rules(text)


def test_parse_rules_rejects_non_text():
    with pytest.raises(ValueError, match="must be text"):
        parse_rules(["function:fail"])  # type: ignore[arg-type]


# --- rules applied while fingerprinting -------------------------------------------------------


def test_without_rules_every_caller_of_a_shared_helper_joins_one_group(fingerprint_of):
    fingerprints = [fingerprint_of(name) for name in HELPER_EVENTS]
    assert len({fp.hash for fp in fingerprints}) == 1
    assert fingerprints[0].culprit == "sampleapp.errors in fail"


@pytest.mark.parametrize(
    "rule",
    [
        "function:fail",
        "function:sampleapp.errors.*",
        "module:sampleapp.errors",
        "path:errors.py",
        "path:*/SAMPLEAPP/errors.py",
    ],
)
def test_helper_rule_makes_the_in_app_caller_the_site(fingerprint_of, rule):
    reserve, reserve_other, release = (fingerprint_of(name, [rule]) for name in HELPER_EVENTS)
    assert reserve.hash == reserve_other.hash
    assert reserve.hash != release.hash
    assert (reserve.culprit, release.culprit) == (
        "sampleapp.inventory in reserve",
        "sampleapp.inventory in release",
    )


def test_skipped_helper_is_explained_and_left_out_of_the_call_path(fingerprint_of):
    fp = fingerprint_of("fail_helper_release", ["function:fail"])
    skipped = [c for c in fp.components if c.name == "rule"]
    assert [(c.value, c.contributes, c.hint) for c in skipped] == [
        ("sampleapp.errors in fail", False, "marked as helper by rule 'function:fail'")
    ]
    assert (
        next(c for c in fp.components if c.name == "site").hint
        == "innermost in-app frame after skipping helpers"
    )
    assert fp.call_path == ("sampleapp.inventory.release",)


def test_rules_that_match_nothing_change_nothing(fingerprint_of):
    assert (
        fingerprint_of("checkout_web_r10", ["function:fail"]).hash == fingerprint_of("checkout_web_r10").hash
    )


def test_a_rule_matching_every_frame_still_yields_a_site(fingerprint_of):
    fp = fingerprint_of("zero_ratio", ["function:*"])
    site = next(c for c in fp.components if c.name == "site")
    assert site.hint == "innermost frame (every frame matched a helper rule)"
    assert site.value == "sampleapp.maths in ratio"


def test_invalid_rules_are_skipped_when_fingerprinting(payload, fingerprint_event):
    event = payload("fail_helper_release")
    with_bad = fingerprint_event(event, ["nonsense", "function:fail extra", "function:fail"])
    assert with_bad.culprit == "sampleapp.inventory in release"


def test_rules_given_as_raw_text_are_split_into_lines(payload, fingerprint_event):
    event = payload("fail_helper_release")
    assert fingerprint_event(event, "# helpers\nfunction:fail\n").culprit == "sampleapp.inventory in release"  # type: ignore[arg-type]
