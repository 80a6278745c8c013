"""What a group's errors say about flags: its events, the flags' exposures and their recent
changes, read over one window and ranked (triage.attribution.ranking).

The window runs from the spike's onset (or the group's first event) to now, at least
MIN_WINDOW_MINUTES and at most MAX_WINDOW_MINUTES long, so cohorts are compared over the same
minutes. Users are matched by identity: an event's user id (or email, or username: the first the
SDK sent) is taken as the targeting key the app evaluated flags with, the usual setup
(`sentry_sdk.set_user({"id": …})` and `EvaluationContext(targeting_key=…)` with the same id).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Min

from triage import cache_keys, flagstate
from triage.attribution import ranking
from triage.attribution.ranking import Change, Onset, Suspicion, ValueCounts
from triage.attribution.spikes import QUIET, Spike
from triage.models import ErrorEvent, ErrorGroup, GroupEnvironment

MIN_WINDOW_MINUTES = 10
MAX_WINDOW_MINUTES = 30
MAX_EVENTS = 20_000  # of the group, and of the project's others, per window: the newest
CACHE_SECONDS = 60
MIN_MATCHED = 0.5  # of a group's users the OFREP endpoint served the flag to, to compare on users


@dataclass
class Attribution:
    group_id: int
    spike: Spike
    environment: str
    start: dt.datetime
    end: dt.datetime
    suspicions: list[Suspicion] = field(default_factory=list)

    @property
    def top(self) -> Suspicion | None:
        """The best explanation, when it is one (suspect)."""
        return self.suspicions[0] if self.suspicions and self.suspicions[0].suspect else None


def attribute(redis, group: ErrorGroup, now: dt.datetime, spike: Spike = QUIET) -> Attribution:
    """The group's flags ranked over its window. A fixed number of queries: the group's events,
    the project's other events (only for flags no exposures exist for), the flags, their changes."""
    onset = Onset(spike.began, "the spike began") if spike.spiking and spike.began else Onset(group.first_seen, "this group appeared")
    start = max(now - dt.timedelta(minutes=MAX_WINDOW_MINUTES), min(onset.at, now - dt.timedelta(minutes=MIN_WINDOW_MINUTES)))
    rows = list(ErrorEvent.objects.filter(group=group, received_at__gte=start).order_by("-received_at")
                .values_list("user_key", "flags", "environment")[:MAX_EVENTS])
    environment = Counter(env for _, _, env in rows).most_common(1)[0][0] if rows else main_environment(group)
    users: set[str] = set()
    events: Counter[tuple[str, str]] = Counter()
    for user_key, flags, env in rows:
        if env != environment or not isinstance(flags, dict):
            continue
        events.update(flags.items())
        if user_key:
            users.add(targeting_key(user_key))
    keys = sorted({key for key, _ in events})
    managed = flagstate.flags_by_key([group.project_id], keys)
    served = [managed[(group.project_id, k)] for k in keys if (group.project_id, k) in managed] if users else []
    exposed = _exposed(redis, group.project_id, environment, served, users, start, now)
    # A flag's users must be the errors' users: when few of them were served anything (the app
    # evaluates it elsewhere, or keys its users differently), its values are compared on events.
    matched = {k for k, counts in exposed.items() if sum(c.affected for c in counts) >= MIN_MATCHED * len(users)}
    values: dict[str, list[ValueCounts]] = {}
    others, other_total = _other_events(group, start, environment) if set(keys) - matched else ({}, 0)
    for key in keys:
        if key in matched:
            values[key] = exposed[key]
        else:
            values[key] = [ValueCounts(value, count, None, others.get((key, value), 0))
                           for (k, value), count in events.items() if k == key]
    changes = _changes(group.project_id, keys, managed, onset.at, environment)
    suspicions = ranking.rank(values, changes, environment, onset, other_total)
    return Attribution(group.id, spike, environment, start, now, suspicions)


def main_environment(group: ErrorGroup) -> str:
    """Where most of the group's events happened; production when it has none recorded."""
    row = GroupEnvironment.objects.filter(group=group).order_by("-count", "environment").values_list("environment", flat=True).first()
    return row or "production"


def targeting_key(user_key: str) -> str:
    """"id:u-17" → "u-17": the value part of the identity the digest kept (triage.digest.normalize)."""
    return user_key.split(":", 1)[1] if ":" in user_key else user_key


def _exposed(redis, project_id: int, environment: str, flags: list, users: set[str], start, end) -> dict[str, list[ValueCounts]]:
    """Per flag and variant, the users served it in the window and, of them, those this group's
    errors hit (whatever value their error happened to carry: served is what counts): every flag
    in one Redis round trip."""
    values = {(f.key, v): flagstate.value_text(raw) for f in flags for v, raw in (f.variants or {}).items()}
    counted = flagstate.exposed_users(redis, project_id, environment, list(values), users, start, end) if values else {}
    found: dict[str, list[ValueCounts]] = defaultdict(list)
    for (key, variant), (exposed, affected) in counted.items():
        if exposed:
            found[key].append(ValueCounts(values[(key, variant)], affected, exposed, variant=variant))
    return found


def _other_events(group: ErrorGroup, start: dt.datetime, environment: str) -> tuple[Counter, int]:
    """(key, value) counts over the project's other errors in the window, and how many there were."""
    rows = (ErrorEvent.objects.filter(project_id=group.project_id, received_at__gte=start, environment=environment)
            .exclude(group=group).order_by("-received_at").values_list("flags", flat=True)[:MAX_EVENTS])
    counts: Counter = Counter()
    total = 0
    for flags in rows:
        total += 1
        if isinstance(flags, dict):
            counts.update(flags.items())
    return counts, total


def _changes(project_id: int, keys: list[str], managed: dict, onset: dt.datetime, environment: str) -> dict[str, list[Change]]:
    """The flags' changes before the onset, as timing evidence. Only changes made while the
    project was already reporting errors count: a flag set up before its app's first error (a
    fresh install, the demo) explains none of the errors that follow."""
    since = onset - dt.timedelta(minutes=ranking.TIMING_MINUTES)
    first_error = ErrorGroup.objects.filter(project_id=project_id).aggregate(first=Min("first_seen"))["first"]
    found: dict[str, list[Change]] = defaultdict(list)
    for change in flagstate.changes(project_id, keys, since=max(since, first_error or since), limit=200):
        flag = managed.get((project_id, change.flag_key))
        found[change.flag_key].append(Change(change.action, change.created_at, change.who, change.environment or environment,
                                             flagstate.value_served_after(flag, change, environment)))
    return found


# --- cached, for pages and the guard ----------------------------------------------------------------


def cached_attribution(redis, group: ErrorGroup, now: dt.datetime, spike: Spike = QUIET) -> Attribution:
    """attribute(), kept a minute (or until the spike's state changes)."""
    key = cache_keys.attribution(group.id, int(now.timestamp()) // 60, spike.spiking)
    found = cache.get(key)
    if found is None:
        found = attribute(redis, group, now, spike)
        cache.set(key, found, CACHE_SECONDS * 2)
        cache.set(cache_keys.latest_attribution(group.id), found, CACHE_SECONDS * 5)
    return found


def fresh_attribution(redis, group: ErrorGroup, now: dt.datetime, spike: Spike = QUIET) -> Attribution:
    """attribute() now, stored as the minute's and as the latest (the watch)."""
    found = attribute(redis, group, now, spike)
    cache.set(cache_keys.attribution(group.id, int(now.timestamp()) // 60, spike.spiking), found, CACHE_SECONDS * 2)
    cache.set(cache_keys.latest_attribution(group.id), found, CACHE_SECONDS * 5)
    return found


def latest_attributions(group_ids) -> dict[int, Attribution]:
    """The last attribution computed for each group (by the guard or a page), if any: for the
    list's rows, which never compute one."""
    keys = {cache_keys.latest_attribution(g): g for g in group_ids}
    return {keys[k]: v for k, v in cache.get_many(list(keys)).items()}
