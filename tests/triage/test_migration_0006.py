"""Migration triage.0006 (grouping switchyard-v2): each project with switchyard-v1 groups starts its
transition when the migration runs, and only those projects."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_projects_with_v1_groups_start_their_transition_at_the_migration():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate([("triage", "0005_project_moves_to_projects")])
        Project = old.get_model("projects", "Project")
        upgraded = Project.objects.create(name="shop", slug="shop")
        Project.objects.create(name="new", slug="new")  # no groups: no transition
        now = timezone.now()
        old.get_model("triage", "ErrorGroup").objects.create(
            project=upgraded, fingerprint="f" * 32, algorithm="switchyard-v1", title="E", first_seen=now, last_seen=now
        )
        new = migrate([("triage", "0006_group_fingerprints")])
        transition = new.get_model("triage", "FingerprintTransition").objects.get()
        assert (transition.project_id, transition.previous_algorithm) == (upgraded.id, "switchyard-v1")
        assert transition.started_at >= now
    finally:
        migrate(latest)
