"""The group list's search syntax (triage.search): terms, quoting and the errors a person sees."""

import pytest

from triage.search import GroupSearch, SearchError, TagTerm, parse_search, tag_term


def test_free_text_and_structured_terms():
    search = parse_search('is:unresolved browser:"Chrome 120" assigned:me release:latest timeout  on checkout')
    assert search.text == "timeout on checkout"
    assert search.statuses == ("unresolved",) and search.assigned == ("me",) and search.releases == ("latest",)
    assert search.tags == (TagTerm("browser", "Chrome 120"),)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", GroupSearch()),
        ("is:archived", GroupSearch(statuses=("ignored",))),
        ("IS:Resolved", GroupSearch(statuses=("resolved",))),
        ("is:unassigned", GroupSearch(is_assigned=False)),
        ("assigned:none assigned:bob", GroupSearch(assigned=("none", "bob"))),
        ("environment:production release:shop@1.5.0", GroupSearch(environments=("production",), releases=("shop@1.5.0",))),
        ("!user.segment:free url:*checkout*", GroupSearch(tags=(TagTerm("user.segment", "free", True), TagTerm("url", "*checkout*")))),
        ("has:user.segment !has:browser", GroupSearch(has=(("user.segment", False), ("browser", True)))),
        ('"connection reset" tenant:"acme \\"west\\""', GroupSearch(text="connection reset", tags=(TagTerm("tenant", 'acme "west"'),))),
        ("tenant:a:b", GroupSearch(tags=(TagTerm("tenant", "a:b"),))),
    ],
)
def test_terms(query, expected):
    assert parse_search(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('browser:"Chrome 120', "The quote opened at character 9 is never closed."),
        ("is:resloved", "“is:resloved” is not a state"),
        ("browser: chrome", "“browser:” at character 1 needs a value"),
        ('url:a"b', "Unexpected quote at character 6"),
        ('tenant:"acme"west', "Put a space after the closing quote"),
        ("!is:resolved", "“!is:” is not supported"),
        ("x " * 21, "more than 20 terms"),
        ("x" * 501, "keep it under 500"),
    ],
)
def test_errors_say_what_and_where(query, message):
    with pytest.raises(SearchError, match=None) as raised:
        parse_search(query)
    assert message in str(raised.value)


def test_assigned_me_becomes_the_viewer():
    assert parse_search("assigned:me assigned:none").for_user("alice").assigned == ("alice", "none")


def test_a_tag_value_links_to_a_search_that_finds_it_again():
    for value in ["Chrome 120", 'say "hi"', "back\\slash", "plain"]:
        assert parse_search(tag_term("browser", value)).tags == (TagTerm("browser", value),)
