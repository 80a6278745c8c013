"""Read replicas (config.db_router), against two real PostgreSQL databases: the primary (the
suite's test database) and a `replica` made and migrated here. Nothing replicates between them,
so each holds its own version of a group, and a page shows which one it read."""

import os
import subprocess

import pytest
from django.conf import settings
from django.db import connections
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from config import db_router
from config.db_router import REPLICA, STICKY_COOKIE, ReplicaRouter, replica_reads
from projects.models import Project
from projects.tokens import create_token
from tests.factories import grant, make_event
from tests.triage.pipeline import drain, send_events
from triage.models import ErrorEvent, ErrorGroup

PRIMARY_TITLE, REPLICA_TITLE = "KeyError: as the primary has it", "KeyError: as the replica has it"


def copy_schema(primary: dict, name: str) -> None:
    """The primary's schema into the new database, as a streaming replica would have it (pg_dump
    rather than `migrate`: some data migrations read through the default alias)."""
    env = {**os.environ, "PGPASSWORD": primary["PASSWORD"] or ""}
    where = ["-h", primary["HOST"] or "127.0.0.1", "-p", str(primary["PORT"] or 5432), "-U", primary["USER"]]
    schema = subprocess.run(["pg_dump", "--schema-only", "--no-owner", *where, primary["NAME"]],
                            env=env, check=True, capture_output=True).stdout
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", *where, name], input=schema, env=env, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """A second database under the `replica` alias, migrated like the primary. Not the suite's
    MIRROR set-up (config.settings): here the two must differ to tell which one answered."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("two databases of a PostgreSQL server")
    primary = connections["default"].settings_dict
    name = f"{primary['NAME']}_replica"
    with django_db_blocker.unblock():
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        copy_schema(primary, name)
        config = {**primary, "NAME": name, "TEST": {**primary["TEST"], "NAME": name, "MIRROR": None}}
        connections.settings[REPLICA] = settings.DATABASES[REPLICA] = config
    yield name
    with django_db_blocker.unblock():
        connections[REPLICA].close()
        del connections[REPLICA]
        connections.settings.pop(REPLICA, None)  # often the same dict as settings.DATABASES
        settings.DATABASES.pop(REPLICA, None)
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def two_versions(replica, project):
    """The project's group, titled one way on the primary and another on the replica."""
    now = timezone.now()
    group = ErrorGroup.objects.create(project=project, fingerprint="f" * 32, algorithm="v2", title=PRIMARY_TITLE,
                                      first_seen=now, last_seen=now, event_count=3)
    # bulk_create: no post_save receivers, which would write their rows to the primary.
    Project.objects.using(REPLICA).bulk_create([Project(id=project.id, name=project.name, slug=project.slug)])
    ErrorGroup.objects.using(REPLICA).bulk_create([ErrorGroup(
        id=group.id, project_id=project.id, fingerprint=group.fingerprint, algorithm="v2", title=REPLICA_TITLE,
        first_seen=group.first_seen, last_seen=group.last_seen, event_count=3)])
    return group


pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
    # With DATABASE_REPLICA_URL set the suite's `replica` mirrors the primary (config.settings);
    # this module needs the alias to itself.
    pytest.mark.skipif(REPLICA in settings.DATABASES, reason="the suite runs with its own replica alias"),
]


@pytest.mark.django_db(transaction=False)  # first: the module's replica is not made yet
def test_without_a_replica_every_read_is_the_primary(client, alice, project):
    assert not db_router.configured()
    with replica_reads():
        assert ReplicaRouter().db_for_read(ErrorGroup) == "default"
    client.force_login(alice)
    client.post(reverse("triage:project_settings", args=[project.id]), {})
    assert STICKY_COOKIE not in client.cookies


def test_pages_and_the_api_read_the_replica(client, alice, two_versions):
    client.force_login(alice)  # the session is on the primary only: logins and access checks read it there
    detail = client.get(reverse("triage:group_detail", args=[two_versions.id]))
    assert detail.status_code == 200
    assert REPLICA_TITLE in detail.text and PRIMARY_TITLE not in detail.text
    assert REPLICA_TITLE in client.get(reverse("triage:group_list")).text
    token = create_token(alice, "ci")
    api = client.get(reverse("api:api_group_list", args=[two_versions.project_id]), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200 and REPLICA_TITLE in api.text


def test_a_post_writes_the_primary_and_the_page_it_leads_to_reads_it(client, alice, two_versions):
    """Read-your-writes: the redirect after the POST, and the client's next reads for a few
    seconds, come from the primary; once the marker expires the replica is read again."""
    client.force_login(grant(alice, "triage.change_errorgroup"))
    response = client.post(reverse("triage:group_resolve", args=[two_versions.id]), follow=True)
    assert response.status_code == 200
    assert STICKY_COOKIE in client.cookies
    assert PRIMARY_TITLE in response.text and REPLICA_TITLE not in response.text
    assert ErrorGroup.objects.using("default").get().status == "resolved"
    assert ErrorGroup.objects.using(REPLICA).get().status == "unresolved"  # nothing was written there

    client.cookies.pop(STICKY_COOKIE)  # as the browser does once it expires
    assert REPLICA_TITLE in client.get(reverse("triage:group_detail", args=[two_versions.id])).text


def test_the_worker_reads_and_writes_the_primary(project, replica, redis_client):
    """The digest runs outside any request: its reads (the group it locks, the ids it dedupes
    by) and its writes go to the primary, though the replica is configured."""
    event = make_event()
    send_events(project, [event])
    assert drain(redis_client) == 1
    send_events(project, [event])  # the same event again: the primary's EventId keeps it out
    drain(redis_client)
    assert ErrorEvent.objects.using("default").count() == 1
    assert ErrorEvent.objects.using(REPLICA).count() == 0 and not ErrorGroup.objects.using(REPLICA).exists()


def test_reads_go_to_the_replica_only_inside_the_context_outside_transactions_and_for_triage_and_flags(replica):
    router = ReplicaRouter()
    assert router.db_for_read(ErrorGroup) == "default"
    with replica_reads():
        assert router.db_for_read(ErrorGroup) == REPLICA
        assert router.db_for_read(Project) == "default"  # memberships and access: the primary
        assert router.db_for_write(ErrorGroup) == "default"
        from django.db import transaction

        with transaction.atomic():
            assert router.db_for_read(ErrorGroup) == "default"  # a transaction reads what it wrote


def test_every_view_sent_to_the_replica_exists():
    """A misspelt name would silently keep its page on the primary."""

    def names(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from names(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
            elif p.name:
                yield prefix + p.name

    assert db_router.REPLICA_VIEWS <= set(names(get_resolver().url_patterns))
