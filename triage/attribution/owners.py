"""The responsible developer of a group: who is suggested, from which evidence, and why.

Three sources, tried in this order; the first that names a member of the group's project wins:

1. ``flag_owner``: the owner of the first significant suspect flag (triage.attribution.ranking).
   The group's errors are tied to a flag value by a test, and the flag's owner can turn it off.
2. ``commit``: the newest commit of the group's first release that touched the crash site's file
   (https://docs.sentry.io/product/issues/suspect-commits/), its author matched by email.
3. ``ownership``: the project's ownership rules, CODEOWNERS syntax (triage.attribution.codeowners;
   https://docs.sentry.io/product/issues/ownership-rules/), matched against the crash site.

Commits come before ownership rules, as in Sentry, because they are evidence about this error: the
group first appeared in the release where that file changed, where a rule says who looks after the
path whatever changed. A broad rule (``* @lead``) is common, and ranked first it would hide every
commit. Only what the group's first release touched counts, so a commit that merely happened to
touch the file long before the error appeared suggests nobody.

Teams (``@org/team``, or Sentry's ``#team``) are Django groups of that name (the admin's Groups),
the organisation part ignored: Switchyard is one organisation. Switchyard assigns people, not
teams, so a team suggests its member (among the project's) with the fewest open groups assigned
in the project, ties by username. Owners that match no member are ignored, and the settings page
warns about them (``ownership_problems``).

The crash site is the fingerprint package's own: the site component of the group's latest event
as "why grouped" shows it (the innermost in-app frame after the project's stack rules, or a
raise-helper's caller when that is what grouped it), found again among the event's frames.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import Lower

from triage import flagstate
from triage.attribution.codeowners import (
    candidate_paths,
    check_size,
    normalize_path,
    owning_rule,
    parse_codeowners,
)
from triage.fingerprint import fingerprint_event, parse_rules
from triage.fingerprint.event import Frame, event_stacktrace, exception_values
from triage.fingerprint.frames import read_frames
from triage.fingerprint.javascript import is_javascript
from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupFingerprint,
    GroupStatus,
    ProjectOwnership,
    ReleaseCommit,
    SuggestionSource,
)
from triage.payloads import read_payload

MAX_REASON = 500


@dataclass(frozen=True)
class Suggestion:
    """A member of the group's project suggested as its responsible developer."""

    user: object  # a User
    source: str  # a SuggestionSource: "flag_owner", "ownership" or "commit"
    reason: str  # plain words, e.g. "owns new-checkout, the suspect flag"

    def as_json(self) -> dict:
        return {"username": self.user.get_username(), "source": self.source, "reason": self.reason}


def suggestion_json(suggestion: Suggestion | None) -> dict | None:
    """The API's "suggested_assignee": {"username", "source", "reason"} or None."""
    return suggestion.as_json() if suggestion is not None else None


def suggest(group: ErrorGroup, suspicions: Sequence = ()) -> Suggestion | None:
    """Who should look at the group, or None. `suspicions` are the group's flags ranked best first
    (objects with `key`, `significant` and `suspect`: triage.attribution.ranking.Suspicion); without
    them no flag owner is suggested. Only members of the group's project are ever suggested.
    Up to eight queries (three for a project without rules or commits, which reads no event) and
    one fingerprinting of the group's latest event."""
    members = {u.pk: u for u in group.project.members.order_by("username")}
    if not members:
        return None
    found = _from_flags(group, suspicions, members)
    if found is not None:
        return found
    ruleset = _ruleset(group.project_id)
    commits = list(ReleaseCommit.objects.filter(release_id=group.first_release_id)) if group.first_release_id else []
    if not commits and ruleset is None:
        return None  # no evidence to match: the latest event need not be read
    site = crash_site(group)
    if site is None:
        return None
    paths = frame_paths(site)
    return _from_commits(group, commits, paths, members) or (
        _from_rules(group, ruleset, site, paths, members) if ruleset is not None else None
    )


def _suggestion(user, source: str, reason: str) -> Suggestion:
    return Suggestion(user, source, reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…")


def _from_flags(group: ErrorGroup, suspicions: Sequence, members: dict) -> Suggestion | None:
    keys = list(dict.fromkeys(s.key for s in suspicions if s.significant))
    if not keys:
        return None
    flags = flagstate.flags_by_key([group.project_id], keys)
    for key in keys:
        flag = flags.get((group.project_id, key))
        if flag is not None and flag.owner_id in members:
            return _suggestion(members[flag.owner_id], SuggestionSource.FLAG_OWNER, f"owns {key}, the suspect flag")
    return None


# -- the crash site ------------------------------------------------------------------------------


def crash_site(group: ErrorGroup) -> Frame | None:
    """The crash-site frame of the group's latest event, as "why grouped" shows it; None for an
    event without a stack (or a group without events). Two queries at most."""
    text = ErrorEvent.objects.filter(group=group).order_by("-received_at", "-id").values_list("payload", flat=True).first()
    if text is None:
        return None
    event = read_payload(text)
    location = _site_location(group, event)
    return _frame_at(event, location) if location else None


def _site_location(group: ErrorGroup, event: dict) -> str:
    try:
        rules = parse_rules(group.project.grouping_rules)
    except ValueError:
        rules = []  # a bad rule groups by the default algorithm (triage.digest.events); so do we
    fingerprint = fingerprint_event(event, rules)
    helper = fingerprint.raise_helper
    if fingerprint.hash != group.fingerprint and helper is not None:
        variant = helper.fingerprint  # the caller decides: is that how this group was made?
        if variant.hash == group.fingerprint or GroupFingerprint.objects.filter(group=group, fingerprint=variant.hash).exists():
            fingerprint = variant
    return next((c.value for c in fingerprint.components if c.name == "site"), "")


def _frame_at(event: dict, location: str) -> Frame | None:
    """The innermost frame at that location, in-app first, raised-last exception first."""
    javascript = is_javascript(event)
    stacks = [value.get("stacktrace") for value in reversed(exception_values(event))] + [event_stacktrace(event)]
    found = None
    for stack in stacks:
        for frame in reversed(read_frames(stack, javascript)):
            if frame.location == location:
                if frame.in_app:
                    return frame
                found = found or frame
    return found


def frame_paths(frame: Frame) -> tuple[str, ...]:
    """The frame's file as normalized paths: its filename, abs_path and, when the SDK named a
    module, the module as a path (``shop.checkout_v2`` → ``shop/checkout_v2.py``, the extension
    being the file's, .py without one), so a frame with only a module still matches paths."""
    paths = [normalize_path(frame.filename), normalize_path(frame.abs_path)]
    module = _sent_module(frame)
    if module and "/" not in module and ":" not in module:
        extension = posixpath.splitext(frame.filename.replace("\\", "/"))[1] or ".py"
        paths.append(module.replace(".", "/") + extension)
    return tuple(dict.fromkeys(p for p in paths if p))


def _sent_module(frame: Frame) -> str:
    """The module the SDK sent; "" when the frame's module is the file name standing in for one."""
    basename = frame.filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return "" if frame.module == basename else frame.module


# -- suspect commits ---------------------------------------------------------------------------


def _from_commits(group: ErrorGroup, commits: list[ReleaseCommit], paths: tuple[str, ...], members: dict) -> Suggestion | None:
    by_email = _members_by_email(members)
    best = None  # (score, -position, commit, file)
    for commit in commits:
        author = by_email.get(commit.author_email.strip().lower())
        if author is None:
            continue
        for file in commit.files:
            score = max((path_match_length(str(file), p) for p in paths), default=0)
            if score and (best is None or (score, -commit.position) > best[:2]):
                best = (score, -commit.position, commit, author, str(file))
    if best is None:
        return None
    _, _, commit, author, file = best
    short = commit.commit_id[:7] if len(commit.commit_id) >= 12 else commit.commit_id
    message = commit.message.strip().splitlines()[0] if commit.message.strip() else ""
    message = message if len(message) <= 72 else message[:71] + "…"
    said = f" '{message}'" if message else ""
    reason = f"committed {short}{said} to {group.first_release.version}, touching {file}"
    return _suggestion(author, SuggestionSource.COMMIT, reason)


def path_match_length(repo_path: str, frame_path: str) -> int:
    """How many trailing path components a commit's file shares with a frame's path, when one is
    a tail of the other (the deployed path holds the repository's, or the frame's relative path is
    the end of the repository's); 0 otherwise, and for a bare file name against a longer path:
    ``checkout.js`` alone says too little about which ``checkout.js``."""
    repo = normalize_path(repo_path).split("/")
    frame = frame_path.split("/")
    common = 0
    for a, b in zip(reversed(repo), reversed(frame), strict=False):
        if a != b:
            break
        common += 1
    if common and (common == len(repo) or (common == len(frame) and common >= 2)):
        return common
    return 0


def _members_by_email(members: dict) -> dict:
    found = {}
    for user in members.values():  # in username order: the first member with an email keeps it
        if user.email:
            found.setdefault(user.email.strip().lower(), user)
    return found


# -- ownership rules ---------------------------------------------------------------------------


def _ruleset(project_id: int):
    rules = ProjectOwnership.objects.filter(project_id=project_id).values_list("rules", flat=True).first()
    if not rules or not rules.strip():
        return None
    ruleset = parse_codeowners(rules)
    return ruleset if ruleset.rules else None


def _from_rules(group: ErrorGroup, ruleset, site: Frame, paths: tuple[str, ...], members: dict) -> Suggestion | None:
    rule = owning_rule(ruleset, candidate_paths(*paths), _sent_module(site))
    if rule is None:
        return None
    label = "ownership rule" if rule.sentry_style else "CODEOWNERS"
    for owner in rule.owners:  # the first owner that is a member: the rest are ignored (warned)
        if owner.kind == "team":
            user = _team_pick(group.project_id, owner.name, members)
            if user is not None:
                reason = f"{label}: {rule.text} ({user.get_username()}, of team {owner.name})"
                return _suggestion(user, SuggestionSource.OWNERSHIP, reason)
            continue
        user = _member(owner, _Lookup(members))
        if user is not None:
            return _suggestion(user, SuggestionSource.OWNERSHIP, f"{label}: {rule.text}")
    return None  # the rule wins but owns nothing usable: the path is unowned, as a rule without owners


class _Lookup:
    """The project's members by username and by email, built once for many owners."""

    def __init__(self, members: dict):
        self.by_username = {u.get_username(): u for u in members.values()}
        self.by_email = _members_by_email(members)


def _member(owner, lookup: _Lookup):
    """The member a user or email owner names, or None."""
    if owner.kind == "email":
        return lookup.by_email.get(owner.name)
    return lookup.by_username.get(owner.name)


def _team_pick(project_id: int, team: str, members: dict):
    """The team's member among the project's with the fewest open groups assigned in it."""
    User = get_user_model()
    in_team = list(User.objects.filter(pk__in=members, groups__name__iexact=team).order_by("username").distinct())
    if not in_team:
        return None
    load = dict(
        ErrorGroup.objects.filter(project_id=project_id, status=GroupStatus.UNRESOLVED, assignee__in=in_team)
        .values("assignee").annotate(n=Count("id")).values_list("assignee", "n")
    )
    return min(in_team, key=lambda u: (load.get(u.pk, 0), u.get_username()))


def ownership_problems(project, rules: str) -> list[str]:
    """What the settings page warns about: lines skipped, and owners that match no member of the
    project (each owner once, with its lines). Three queries."""
    ruleset = parse_codeowners(rules)
    members = {u.pk: u for u in project.members.order_by("username")}
    teams = {o.name for r in ruleset.rules for o in r.owners if o.kind == "team"}
    staffed = _staffed_teams(teams, members)
    lookup = _Lookup(members)
    unmatched: dict[str, list[int]] = defaultdict(list)
    why: dict[str, str] = {}
    for rule in ruleset.rules:
        for owner in rule.owners:
            if owner.kind == "team":
                if owner.name not in staffed:
                    unmatched[owner.text].append(rule.line)
                    why[owner.text] = f"is no team with a member of {project.name} (a group named {owner.name} in the admin)"
            elif _member(owner, lookup) is None:
                unmatched[owner.text].append(rule.line)
                why[owner.text] = f"matches no member of {project.name}"
    problems = list(ruleset.problems)
    for text, lines in unmatched.items():
        shown = ", ".join(map(str, lines[:5])) + ("…" if len(lines) > 5 else "")
        problems.append(f"{text} (line{'s' if len(lines) > 1 else ''} {shown}) {why[text]}: ignored")
    return problems


def _staffed_teams(teams: set[str], members: dict) -> set[str]:
    """The teams (lower-cased names) with at least one member of the project."""
    if not teams or not members:
        return set()
    from django.contrib.auth.models import Group

    rows = (
        Group.objects.annotate(lowered=Lower("name")).filter(lowered__in=teams)
        .annotate(n=Count("user", filter=Q(user__in=list(members)))).values_list("lowered", "n")
    )
    return {name for name, n in rows if n}


def save_ownership(project, *, rules: str, auto_assign: bool, actor, now: dt.datetime) -> list[str]:
    """Stores the project's ownership rules and auto-assign setting; returns the problems to show
    (lines skipped, owners matching nobody), which do not stop the save. ValueError for rules over
    3 MB. Line endings are stored as \\n."""
    rules = rules.replace("\r\n", "\n").replace("\r", "\n")
    check_size(rules)
    ProjectOwnership.objects.update_or_create(
        project=project, defaults={"rules": rules, "auto_assign": auto_assign, "updated_at": now, "updated_by": actor}
    )
    return ownership_problems(project, rules)


def ownership_of(project) -> ProjectOwnership:
    """The project's settings, unsaved defaults when it has none yet."""
    found = ProjectOwnership.objects.filter(project=project).select_related("updated_by").first()
    return found or ProjectOwnership(project=project, rules="", auto_assign=False)
