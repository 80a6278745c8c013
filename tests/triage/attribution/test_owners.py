"""triage.attribution.owners: the responsible developer from each source, their order, members only,
and the crash site "why grouped" shows. Groups are made by the real pipeline from generated events."""

from collections import namedtuple

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from flags.demo import seed_flags
from flags.models import Flag
from tests.factories import make_event, make_user
from tests.triage.helpers import crash, push
from triage.attribution import commits, owners
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db

Suspected = namedtuple("Suspected", "key significant suspect")


def checkout_group(project, redis_client, release="shop@1.5.0", **overrides) -> ErrorGroup:
    """A group whose crash site is shop.checkout_v2 in apply_discount (file shop/checkout_v2.py)."""
    push(project, redis_client, [crash("apply_discount", "shop.checkout_v2", "CheckoutError", release=release, **overrides)])
    return ErrorGroup.objects.select_related("project", "first_release").get(
        project=project, culprit="shop.checkout_v2 in apply_discount"
    )


def set_rules(project, text: str) -> list[str]:
    return owners.save_ownership(project, rules=text, auto_assign=False, actor=None, now=timezone.now())


def register(project, version: str, *commit_dicts) -> None:
    commits.register_release(project, version, commits.parse_commits(list(commit_dicts)), now=timezone.now())


FIX = {"id": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "author_email": "bob@example.com",
       "message": "Fix discount rounding\n\nLong explanation.", "files": ["shop/checkout_v2.py", "shop/urls.py"]}


def test_the_owner_of_the_first_significant_suspect_flag_is_suggested(project, bob, redis_client):
    seed_flags(project, bob)
    group = checkout_group(project, redis_client)
    found = owners.suggest(group, [Suspected("dark-mode", False, True), Suspected("new-checkout", True, True)])
    assert (found.user, found.source, found.reason) == (bob, "flag_owner", "owns new-checkout, the suspect flag")


def test_a_flag_that_is_only_suspect_suggests_nobody(project, bob, redis_client):
    seed_flags(project, bob)
    group = checkout_group(project, redis_client)
    assert owners.suggest(group, [Suspected("new-checkout", False, True)]) is None


def test_an_ownership_rule_matching_the_crash_site_suggests_its_first_member_owner(project, alice, bob, redis_client):
    group = checkout_group(project, redis_client)
    set_rules(project, "* @alice\n/shop/checkout_v2.py @carol @bob @alice\n/shop/pricing.py @alice\n")
    found = owners.suggest(group)
    assert (found.user, found.source) == (bob, "ownership")  # carol is no member: the next owner
    assert found.reason == "CODEOWNERS: /shop/checkout_v2.py @carol @bob @alice"


def test_a_module_rule_and_an_email_owner_match_too(project, bob, redis_client):
    group = checkout_group(project, redis_client)
    set_rules(project, "module:shop.checkout* BOB@example.com\n")
    found = owners.suggest(group)
    assert (found.user, found.reason) == (bob, "ownership rule: module:shop.checkout* BOB@example.com")


def test_the_commit_of_the_first_release_that_touched_the_crash_site_file_suggests_its_author(project, bob, redis_client):
    group = checkout_group(project, redis_client, release="shop@1.5.0")
    register(project, "shop@1.5.0", {"id": "ffff", "author_email": "alice@example.com", "files": ["docs/x.rst"]}, FIX)
    found = owners.suggest(group)
    assert (found.user, found.source) == (bob, "commit")
    assert found.reason == "committed a1b2c3d 'Fix discount rounding' to shop@1.5.0, touching shop/checkout_v2.py"


def test_the_newest_commit_touching_the_file_wins_and_a_longer_path_match_beats_it(project, alice, bob, redis_client):
    group = checkout_group(project, redis_client)
    newer = {"id": "b2", "author_email": "alice@example.com", "message": "Tidy", "files": ["shop/checkout_v2.py"]}
    register(project, "shop@1.5.0", newer, FIX)  # newest first, as git log lists them
    assert owners.suggest(group).user == alice
    deeper = {"id": "c3", "author_email": "bob@example.com", "files": ["src/shop/checkout_v2.py"]}
    elsewhere = {"id": "d4", "author_email": "alice@example.com", "files": ["checkout_v2.py"]}
    register(project, "shop@1.5.0", elsewhere, deeper)
    assert owners.suggest(group).user == bob  # src/shop/checkout_v2.py shares two parts, a root file one


def test_commits_of_other_releases_suggest_nobody(project, bob, redis_client):
    group = checkout_group(project, redis_client, release="shop@1.5.0")
    register(project, "shop@1.4.0", FIX)
    assert owners.suggest(group) is None


def test_precedence_flag_owner_then_commit_then_ownership(project, alice, bob, redis_client):
    charlie_free = make_user("dave")
    project.members.add(charlie_free)
    seed_flags(project, charlie_free)
    group = checkout_group(project, redis_client)
    set_rules(project, "/shop/ @alice\n")
    register(project, "shop@1.5.0", FIX)
    suspicions = [Suspected("new-checkout", True, True)]
    assert owners.suggest(group, suspicions).source == "flag_owner"
    assert (owners.suggest(group).source, owners.suggest(group).user) == ("commit", bob)
    register(project, "shop@1.5.0")  # the release's commits cleared
    assert (owners.suggest(group).source, owners.suggest(group).user) == ("ownership", alice)


def owned_by_a_former_member(project, charlie) -> None:
    """Every demo flag owned by charlie, who then leaves the project (flags need a member owner)."""
    project.members.add(charlie)
    seed_flags(project, charlie)
    project.members.remove(charlie)


def test_non_members_are_never_suggested(project, charlie, redis_client):
    owned_by_a_former_member(project, charlie)
    group = checkout_group(project, redis_client)
    set_rules(project, "* @charlie charlie@example.com\n")
    register(project, "shop@1.5.0", {**FIX, "author_email": "charlie@example.com"})
    assert owners.suggest(group, [Suspected("new-checkout", True, True)]) is None


def test_a_significant_flag_owned_by_a_non_member_gives_way_to_the_next(project, bob, charlie, redis_client):
    owned_by_a_former_member(project, charlie)
    Flag.objects.filter(project=project, key="dark-mode").update(owner=bob)
    group = checkout_group(project, redis_client)
    found = owners.suggest(group, [Suspected("new-checkout", True, True), Suspected("dark-mode", True, True)])
    assert (found.user, found.reason) == (bob, "owns dark-mode, the suspect flag")


def test_a_team_suggests_its_project_member_with_the_fewest_open_groups(project, alice, bob, charlie, redis_client):
    payments = Group.objects.create(name="Payments")
    payments.user_set.add(alice, bob, charlie)  # charlie is in the team but not in the project
    push(project, redis_client, [crash("a"), crash("b")])
    ErrorGroup.objects.filter(project=project).update(assignee=alice)
    group = checkout_group(project, redis_client)
    set_rules(project, "/shop/ @acme/payments\n")
    found = owners.suggest(group)
    assert found.user == bob
    assert found.reason == "CODEOWNERS: /shop/ @acme/payments (bob, of team payments)"


def test_the_crash_site_is_the_one_why_grouped_shows_after_stack_rules(project, alice, bob, redis_client):
    project.grouping_rules = "module:shop.pricing"  # pricing is a helper: its caller is the site
    project.save()
    push(project, redis_client, [make_event()])  # shop.views in checkout → shop.pricing in price
    group = ErrorGroup.objects.select_related("project").get(project=project)
    assert group.culprit == "shop.views in checkout"
    set_rules(project, "/shop/pricing.py @bob\n/shop/views.py @alice\n")
    assert owners.crash_site(group).location == "shop.views in checkout"
    assert owners.suggest(group).user == alice


def test_a_deployed_absolute_path_still_matches_repository_rules(project, bob, redis_client):
    event = crash("apply_discount", "shop.checkout_v2", "CheckoutError")
    event["exception"]["values"][-1]["stacktrace"]["frames"][-1].update(
        filename="checkout_v2.py", module=None, abs_path="/srv/app/shop/checkout_v2.py")
    push(project, redis_client, [event])
    group = ErrorGroup.objects.select_related("project").get(project=project, title__startswith="CheckoutError")
    set_rules(project, "/shop/checkout_v2.py @bob\n")
    assert owners.suggest(group).user == bob


def test_an_event_without_a_stack_has_no_crash_site_and_no_ownership(project, redis_client):
    push(project, redis_client, [make_event(exception=None, message="disk almost full")])
    group = ErrorGroup.objects.select_related("project").get(project=project)
    set_rules(project, "* @bob\n")
    assert owners.crash_site(group) is None
    assert owners.suggest(group) is None


def test_settings_warn_about_owners_matching_no_member_once_each(project, bob):
    Group.objects.create(name="empty-team")
    problems = set_rules(project, "* @bob\n/a/ @ghost\n/b/ @ghost x@nowhere.test\n/c/ @acme/empty-team\n!neg @bob\n")
    assert problems == [
        "line 5: negation (!) is not supported in CODEOWNERS",
        "@ghost (lines 2, 3) matches no member of shop: ignored",
        "x@nowhere.test (line 3) matches no member of shop: ignored",
        "@acme/empty-team (line 4) is no team with a member of shop (a group named empty-team in the admin): ignored",
    ]


def test_suggestion_json_is_the_apis_suggested_assignee(project, bob, redis_client):
    group = checkout_group(project, redis_client)
    set_rules(project, "* @bob\n")
    assert owners.suggestion_json(owners.suggest(group)) == {"username": "bob", "source": "ownership", "reason": "CODEOWNERS: * @bob"}
    assert owners.suggestion_json(None) is None
