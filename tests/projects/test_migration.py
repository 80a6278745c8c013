"""Moving Project and ApiToken from triage to projects moved no rows: a database made by the
previous schema keeps its projects, members, tokens, DSN keys, flags and granted permissions."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("triage", "0004_group_activity_regressed"), ("flags", "0001_initial"), ("projects", None),
          ("contenttypes", "0002_remove_content_type_name"), ("auth", "0012_alter_user_first_name_max_length")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_a_database_from_the_previous_schema_keeps_its_projects_tokens_and_flags():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE)
        user = old.get_model("auth", "User").objects.create(username="alice")
        project = old.get_model("triage", "Project").objects.create(name="shop", slug="shop", grouping_rules="helper: shop.util")
        project.members.add(user)
        old.get_model("triage", "ProjectKey").objects.create(project=project, label="Default", public_key="a" * 32)
        old.get_model("triage", "ApiToken").objects.create(user=user, token_hash="h" * 64, prefix="sy_abcde")
        old.get_model("flags", "Flag").objects.create(project=project, key="new-checkout", name="New checkout", owner=user)
        content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(app_label="triage", model="project")[0]
        permission = old.get_model("auth", "Permission").objects.get_or_create(
            content_type=content_type, codename="add_project", defaults={"name": "Can add project"})[0]
        user.user_permissions.add(permission)

        new = migrate(latest)
        moved = new.get_model("projects", "Project").objects.get(slug="shop")
        assert (moved.id, moved.name, moved.grouping_rules) == (project.id, "shop", "helper: shop.util")
        assert list(moved.members.values_list("username", flat=True)) == ["alice"]
        assert new.get_model("projects", "ApiToken").objects.get().token_hash == "h" * 64
        assert new.get_model("triage", "ProjectKey").objects.get().project_id == moved.id
        assert new.get_model("flags", "Flag").objects.get().project_id == moved.id
        granted = new.get_model("auth", "User").objects.get(username="alice").user_permissions.get()
        assert (granted.content_type.app_label, granted.codename) == ("projects", "add_project")
    finally:
        migrate(latest)
