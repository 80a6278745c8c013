import pytest

from tests.factories import make_project
from tests.triage.ui.helpers import crash, grant, push


@pytest.fixture(autouse=True)
def _empty_redis(redis_client):
    """Every dashboard test starts with an empty Redis: hot counters and the pages' caches (spike
    scores, charts, filter options) are keyed by ids that the next test's database reuses."""


@pytest.fixture
def triager(alice):
    """Alice, allowed to triage groups and to kill flags."""
    return grant(alice, "triage.change_errorgroup", "flags.change_flag")


@pytest.fixture
def other_project(charlie, redis_client):
    """Charlie's own project with one group: nothing of it may show up for Alice or Bob."""
    project = make_project("secret-shop", members=[charlie])
    push(project, redis_client, [crash("leak", "secret.module", "SecretError", release="secret@9.9.9")])
    return project


@pytest.fixture
def demo_flags(project, alice):
    """The flags app's demo flags on Alice's project: new-checkout on in production, and others."""
    from flags.demo import seed_flags

    seed_flags(project, alice)
    return project.flags.all()
