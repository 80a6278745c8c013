"""Read replicas: with DATABASE_REPLICA_URL set, the read-only pages and API reads of triage and
flags data go to the `replica` alias; everything else stays on the primary (`default`).

A read goes to the replica only inside `replica_reads()`, which the ReplicaReads middleware
opens for a GET or HEAD of a view named in REPLICA_VIEWS, and only for the apps in REPLICA_APPS:
users, sessions, memberships and tokens (access checks, logins) always read the primary, so a
replica behind by a few seconds never shows a page to someone just removed, or logs out someone
just logged in. Writes, the worker, beat, management commands and anything else outside a
request never enter the context, so they read and write the primary.

Read-your-writes: a request that may have written (any other method) sets a cookie for
STICKY_SECONDS, and a request carrying it reads the primary; so the page a POST redirects to,
or the flag page after a toggle, shows the change whatever the replica's lag. A read inside a
transaction reads the primary too: it wants the transaction's view of the data.

https://docs.djangoproject.com/en/5.2/topics/db/multi-db/#automatic-database-routing
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import Resolver404, resolve

REPLICA = "replica"
REPLICA_APPS = frozenset({"triage", "flags"})
STICKY_COOKIE = "sy_primary"
# Longer than a healthy replica's lag (well under a second on a streaming replica).
STICKY_SECONDS = 10
REPLICA_VIEWS = frozenset({
    "triage:group_list", "triage:group_detail", "triage:group_chart", "triage:group_events", "triage:trace_detail",
    "triage:release_list", "triage:release_compare", "triage:release_chart", "triage:release_detail",
    "triage:flag_errors", "triage:developer_list", "triage:log_list", "triage:log_lines",
    "api:api_group_list", "api:api_group_events", "api:api_log_list", "api:api_group_suspects",
    "flags:flag_list", "flags:flag_detail", "flags:audit_log", "flags:stale_flags",
    "flags:api_flag_list", "flags:api_change_list",
})
SAFE_METHODS = frozenset({"GET", "HEAD"})

_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_replica() -> bool:
    """Whether reads of REPLICA_APPS may go to the replica just now."""
    return _replica_allowed.get() and configured()


@contextlib.contextmanager
def replica_reads():
    """Within this block, reads of REPLICA_APPS' models may go to the replica."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (reading_replica() and model._meta.app_label in REPLICA_APPS
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return REPLICA
        # Named, not None: Django would otherwise read a related object (a group's project, its
        # members) from the database its instance came from, the replica.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one data set: the replica is a copy of the primary


class ReplicaReads:
    """Runs a GET or HEAD of a view in REPLICA_VIEWS inside replica_reads(), unless the client
    wrote within STICKY_SECONDS; marks a client that may have written.

    The view is found by resolving the path here rather than in process_view, so the context is
    entered and left in one `with` around the response: under ASGI, process_view and the view
    may run in different threads, and a context variable set in one need not reach the other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if configured() and self.may_read_replica(request):
            with replica_reads():
                return self.get_response(request)
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and configured():
            response.set_cookie(STICKY_COOKIE, "1", max_age=STICKY_SECONDS, httponly=True, samesite="Lax",
                                secure=request.is_secure())
        return response

    @staticmethod
    def may_read_replica(request) -> bool:
        if request.method not in SAFE_METHODS or STICKY_COOKIE in request.COOKIES:
            return False
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return match.view_name in REPLICA_VIEWS
