"""Release health read back: sessions and users per release, and their crash-free rates.

Crash-free sessions = sessions that did not crash ÷ sessions; crash-free users = users none of
whose sessions crashed ÷ users with sessions, as Sentry defines them
(https://docs.sentry.io/product/releases/health/#crash). Users come from the sessions' `did`;
sentry-sdk's web-request aggregates carry none, so a release may have sessions and no users.
The counts are written by triage.digest.sessions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from triage.models import ReleaseHealthMinute, SessionUser


@dataclass(frozen=True)
class ReleaseHealth:
    sessions: int = 0
    errored: int = 0  # had errors, but neither crashed nor ended abnormally
    crashed: int = 0
    abnormal: int = 0
    users: int = 0
    crashed_users: int = 0

    @property
    def healthy(self) -> int:
        return self.sessions - self.errored - self.crashed - self.abnormal

    @property
    def crash_free_sessions(self) -> float | None:
        """Percent; None without sessions."""
        return _percent_free(self.crashed, self.sessions)

    @property
    def crash_free_users(self) -> float | None:
        """Percent; None without users."""
        return _percent_free(self.crashed_users, self.users)


NO_SESSIONS = ReleaseHealth()


def _percent_free(bad: int, total: int) -> float | None:
    return None if not total else 100.0 * (total - bad) / total


def release_health(release_ids: list[int], since: dt.datetime | None = None, environment: str = "") -> dict[int, ReleaseHealth]:
    """Release id → its health over sessions started since `since` (all when None), in one
    environment or all. Two queries; releases without sessions are left out."""
    minutes = ReleaseHealthMinute.objects.filter(release_id__in=release_ids)
    users = SessionUser.objects.filter(release_id__in=release_ids)
    if since is not None:
        minutes = minutes.filter(minute__gte=since)
        users = users.filter(day__gte=since.date())
    if environment:
        minutes, users = minutes.filter(environment=environment), users.filter(environment=environment)
    sums = minutes.values("release_id").annotate(
        s=Sum("sessions"), e=Sum("errored"), c=Sum("crashed"), a=Sum("abnormal")
    ).values_list("release_id", "s", "e", "c", "a")
    people = dict(
        (rid, (n, bad)) for rid, n, bad in users.values("release_id").annotate(
            n=Count("distinct_id", distinct=True), bad=Count("distinct_id", filter=Q(crashed=True), distinct=True)
        ).values_list("release_id", "n", "bad")
    )
    result = {}
    for rid, s, e, c, a in sums:
        n, bad = people.get(rid, (0, 0))
        result[rid] = ReleaseHealth(s or 0, e or 0, c or 0, a or 0, n, bad)
    return result


@dataclass(frozen=True)
class HealthSeries:
    """Per bucket of `step` seconds from `start`: sessions, crashed sessions, users, crashed users."""

    start: int
    step: int
    sessions: list[int]
    crashed: list[int]
    users: list[int]
    crashed_users: list[int]

    def crash_free_sessions(self) -> list[float | None]:
        return [_percent_free(c, s) for s, c in zip(self.sessions, self.crashed, strict=True)]

    def crash_free_users(self) -> list[float | None]:
        return [_percent_free(c, n) for n, c in zip(self.users, self.crashed_users, strict=True)]


def health_series(release_id: int, start: int, step: int, buckets: int) -> HealthSeries:
    """Sessions per bucket (by the minute they started); users only for buckets of a day (they
    are kept per day, and distinct users of several days do not add up)."""
    begin = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    sessions, crashed = [0] * buckets, [0] * buckets
    rows = ReleaseHealthMinute.objects.filter(release_id=release_id, minute__gte=begin).values_list("minute", "sessions", "crashed")
    for minute, s, c in rows:
        index = (int(minute.timestamp()) - start) // step
        if 0 <= index < buckets:
            sessions[index] += s
            crashed[index] += c
    users, crashed_users = [0] * buckets, [0] * buckets
    if step == 86400:
        per_day = SessionUser.objects.filter(release_id=release_id, day__gte=begin.date()).values("day").annotate(
            n=Count("distinct_id", distinct=True), bad=Count("distinct_id", filter=Q(crashed=True), distinct=True)
        ).values_list("day", "n", "bad")
        for day, n, bad in per_day:
            index = (int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()) - start) // step
            if 0 <= index < buckets:
                users[index], crashed_users[index] = n, bad
    return HealthSeries(start, step, sessions, crashed, users, crashed_users)
