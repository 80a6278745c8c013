import pytest

from tests.factories import grant, make_project
from tests.triage.helpers import crash, push


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
