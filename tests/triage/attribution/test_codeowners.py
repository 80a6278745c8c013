"""triage.attribution.codeowners: GitHub's CODEOWNERS grammar, and the paths a frame is matched by."""

import pytest

from triage.attribution.codeowners import (
    MAX_BYTES,
    candidate_paths,
    check_size,
    normalize_path,
    owning_rule,
    parse_codeowners,
)


def owner_of(text: str, path: str, module: str = "") -> str | None:
    rule = owning_rule(parse_codeowners(text), candidate_paths(path), module)
    return None if rule is None else " ".join(o.text for o in rule.owners)


@pytest.mark.parametrize(
    ("pattern", "path", "owned"),
    [
        ("*", "shop/checkout.py", True),
        ("*.js", "web/src/app.js", True),
        ("*.js", "web/src/app.jsx", False),
        ("/docs/", "docs/a/b.rst", True),
        ("docs/*", "docs/getting-started.rst", True),
        ("docs/*", "docs/build-app/troubleshooting.rst", False),  # GitHub's documented exception
        ("apps/", "web/apps/github/x.py", True),  # no leading slash: a directory at any depth
        ("/apps/", "web/apps/github/x.py", True),  # the deployed root is unknown: tails are tried
        ("/build/logs/", "build/logs/today.txt", True),
        ("/build/logs/", "build/logs", False),  # a trailing slash names a directory only
        ("**/logs", "deep/er/logs/x.txt", True),
        ("docs/**/api.rst", "docs/a/b/api.rst", True),
        ("docs/**/api.rst", "docs/api.rst", True),
        ("/shop/checkout", "shop/checkout/views.py", True),  # a directory and everything in it
        ("shop/checkout.py", "shop/checkout.py", True),
        ("shop/check?ut.py", "shop/checkout.py", True),
        ("Shop/", "shop/checkout.py", False),  # paths are case-sensitive, as on GitHub
    ],
)
def test_patterns_follow_gitignore_as_github_applies_it(pattern, path, owned):
    assert (owner_of(f"{pattern} @bob", path) == "@bob") is owned


def test_the_last_matching_line_wins_and_a_line_without_owners_unowns():
    text = "* @lead\n/shop/ @bob @carol\n/shop/generated/\n"
    assert owner_of(text, "shop/checkout.py") == "@bob @carol"
    assert owner_of(text, "web/app.js") == "@lead"
    assert owner_of(text, "shop/generated/models.py") == ""


def test_comments_blank_lines_and_inline_comments_are_not_rules():
    ruleset = parse_codeowners("# owners\n\n   \n*.py @bob # the python lead\n")
    assert [(r.line, r.pattern, [o.text for o in r.owners]) for r in ruleset.rules] == [(4, "*.py", ["@bob"])]
    assert ruleset.problems == ()


def test_escaped_hash_and_space_are_part_of_the_pattern():
    assert owner_of("\\#notes.txt @bob", "#notes.txt") == "@bob"
    assert owner_of("my\\ file.py @bob", "my file.py") == "@bob"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("!secret.py @bob", "negation"),
        ("src/[ab].py @bob", "character ranges"),
        ("[Backend]", "GitLab sections"),
        ("url:https://shop.example/* @bob", "url: rules match event fields"),
        ("tags.team:payments @bob", "tags.team: rules"),
        ("*.py @", "is not an owner"),
        ("*.py @acme/", "names no team"),
        ("module: @bob", "needs a module pattern"),
    ],
)
def test_lines_github_would_reject_are_skipped_with_a_problem_and_the_rest_still_count(line, problem):
    ruleset = parse_codeowners(f"* @lead\n{line}\n")
    assert [r.pattern for r in ruleset.rules] == ["*"]
    assert len(ruleset.problems) == 1 and ruleset.problems[0].startswith("line 2: ") and problem in ruleset.problems[0]


def test_owners_are_users_emails_or_teams():
    rule = parse_codeowners("* @bob Carol@Example.com @acme/Payments dave\n").rules[0]
    assert [(o.kind, o.name) for o in rule.owners] == [
        ("user", "bob"), ("email", "carol@example.com"), ("team", "payments"), ("user", "dave"),
    ]


def test_sentry_rules_match_paths_and_modules_and_take_hash_teams():
    text = "path:shop/* @lead\nmodule:shop.checkout.* #payments\n"
    ruleset = parse_codeowners(text)
    assert [(o.kind, o.name) for o in ruleset.rules[1].owners] == [("team", "payments")]
    assert owning_rule(ruleset, candidate_paths("shop/checkout/views.py"), "shop.checkout.views").line == 2
    assert owning_rule(ruleset, candidate_paths("shop/pricing.py"), "shop.pricing").line == 1
    assert owning_rule(ruleset, candidate_paths("web/app.py"), "web.app") is None


def test_windows_line_endings_and_tabs_between_tokens_are_fine():
    ruleset = parse_codeowners("*.py\t@bob\r\n/docs/  @carol\r\n")
    assert [(r.pattern, r.owners[0].text) for r in ruleset.rules] == [("*.py", "@bob"), ("/docs/", "@carol")]


@pytest.mark.parametrize(
    ("path", "normalized"),
    [
        ("/srv/app/shop/checkout.py", "srv/app/shop/checkout.py"),
        ("app:///dist/./checkout.js", "dist/checkout.js"),
        ("https://shop.example/static/app.js", "static/app.js"),
        ("webpack://shop/./src/cart.ts", "shop/src/cart.ts"),
        ("C:\\src\\shop\\checkout.py", "C:/src/shop/checkout.py"),
        ("", ""),
    ],
)
def test_frame_paths_are_normalized(path, normalized):
    assert normalize_path(path) == normalized


def test_candidate_paths_are_every_tail_at_a_slash():
    assert candidate_paths("/srv/app/shop/a.py", "shop/a.py") == ("srv/app/shop/a.py", "app/shop/a.py", "shop/a.py", "a.py")


def test_rules_over_three_megabytes_are_refused():
    check_size("x" * MAX_BYTES)
    with pytest.raises(ValueError, match="3 MB"):
        check_size("x" * (MAX_BYTES + 1))
