"""The Django admin: filters, search, the reasoned actions, audited saves and read-only history."""

import pytest

from flags.models import Flag, FlagChange, FlagEnvironment
from tests.flags.factories import admin_change_form, make_flag


@pytest.fixture
def admin_client(client, django_user_model, project):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    project.members.add(admin)
    client.force_login(admin)
    client.admin = admin
    return client


CHANGELIST = "/admin/flags/flag/"


def test_changelist_filters_by_project_environment_kind_owner_and_state(admin_client, project, bob):
    make_flag(project, "on-in-prod")
    make_flag(project, "off-everywhere", environments={}, kind="ops", owner=bob)
    make_flag(project, "on-in-staging", environments={"staging": {"enabled": True}})

    def keys(query):
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200
        return sorted(f.key for f in response.context["cl"].result_list)

    assert keys("?state=on&environment=production") == ["on-in-prod"]
    assert keys("?state=off") == ["off-everywhere"]
    assert keys("?state=on") == ["on-in-prod", "on-in-staging"]
    assert keys("?kind__exact=ops") == ["off-everywhere"]
    assert keys(f"?owner__id__exact={bob.id}") == ["off-everywhere"]
    assert keys(f"?project__id__exact={project.id}&q=staging") == ["on-in-staging"]


def test_disable_in_production_action_asks_for_a_reason_then_disables(admin_client, project):
    first, second = make_flag(project, "a"), make_flag(project, "b")
    selected = {"action": "disable_in_production", "_selected_action": [first.pk, second.pk]}
    page = admin_client.post(CHANGELIST, selected)
    assert page.status_code == 200 and b"Reason" in page.content  # the intermediate page
    assert FlagEnvironment.objects.filter(environment="production", enabled=True).count() == 2

    refused = admin_client.post(CHANGELIST, {**selected, "apply": "1", "environment": "production", "reason": ""})
    assert refused.status_code == 200  # shown again: a reason is required
    assert FlagEnvironment.objects.filter(environment="production", enabled=True).count() == 2

    done = admin_client.post(CHANGELIST, {**selected, "apply": "1", "environment": "production", "reason": "incident 42"})
    assert done.status_code == 302
    assert FlagEnvironment.objects.filter(environment="production", enabled=True).count() == 0
    rows = FlagChange.objects.filter(action="disabled")
    assert {(r.flag_key, r.source, r.reason, r.actor) for r in rows} == {
        ("a", "admin", "incident 42", admin_client.admin), ("b", "admin", "incident 42", admin_client.admin)}


def test_enable_in_an_environment_action_needs_a_reason(admin_client, project):
    flag = make_flag(project, environments={})
    admin_client.post(CHANGELIST, {"action": "enable_in_environment", "_selected_action": [flag.pk], "apply": "1",
                                   "environment": "staging", "reason": "try it"})
    assert FlagEnvironment.objects.get(flag=flag, environment="staging").enabled
    assert FlagChange.objects.get(action="enabled").reason == "try it"


def test_adding_a_flag_in_the_admin_goes_through_changes(admin_client, project, alice):
    response = admin_client.post("/admin/flags/flag/add/", {
        "project": project.id, "key": "search-v2", "name": "Search v2", "description": "", "kind": "ops",
        "owner": alice.id, "value_type": "boolean", "variants": '{"on": true, "off": false}', "off_variant": "off",
        "team": "", "ticket": "", "repository_path": "", "lifetime_days": "", "reason": "new backend"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = FlagChange.objects.get(flag_key="search-v2")
    assert (change.action, change.source, change.reason) == ("created", "admin", "new backend")
    assert Flag.objects.get(key="search-v2").environments.count() >= 3


def test_admin_add_refuses_an_owner_outside_the_project(admin_client, project, charlie):
    response = admin_client.post("/admin/flags/flag/add/", {
        "project": project.id, "key": "x", "name": "x", "kind": "ops", "owner": charlie.id, "value_type": "boolean",
        "variants": '{"on": true, "off": false}', "off_variant": "off"})
    assert response.status_code == 200
    assert "not a member" in str(response.context["adminform"].form.errors)
    assert not Flag.objects.filter(key="x").exists()


def test_editing_a_flag_and_its_rollout_in_the_admin_is_audited(admin_client, project):
    flag = make_flag(project)
    index = [s.environment for s in flag.environments.all()].index("production")
    data = admin_change_form(flag, team="payments", reason="ramp down", **{f"environments-{index}-rollout_percentage": "5"})
    response = admin_client.post(f"/admin/flags/flag/{flag.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    updated = FlagChange.objects.get(action="updated")
    assert (updated.after["team"], updated.reason, updated.source) == ("payments", "ramp down", "admin")
    state_change = FlagChange.objects.get(action="state_changed")
    assert (state_change.environment, state_change.after["rollout_percentage"]) == ("production", 5)


def test_change_page_shows_read_only_history(admin_client, project):
    flag = make_flag(project)
    page = admin_client.get(f"/admin/flags/flag/{flag.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and "audit history" in html.lower()
    assert 'name="changes-0-reason"' not in html  # shown, not editable


def test_deleting_in_the_admin_is_audited(admin_client, project):
    flag = make_flag(project)
    admin_client.post(f"/admin/flags/flag/{flag.pk}/delete/", {"post": "yes"})
    assert not Flag.objects.filter(pk=flag.pk).exists()
    assert FlagChange.objects.get(action="deleted").source == "admin"


def test_audit_log_admin_is_read_only(admin_client, project):
    change = make_flag(project).changes.get()
    assert admin_client.get(f"/admin/flags/flagchange/{change.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/flags/flagchange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/flags/flagchange/add/").status_code == 403


def test_audit_log_admin_exports_json(admin_client, project):
    change = make_flag(project).changes.get()
    response = admin_client.post("/admin/flags/flagchange/", {"action": "export_json", "_selected_action": [change.pk]})
    assert response.json()["changes"][0]["action"] == "created"


def test_staff_see_only_their_projects_flags(client, project, charlie, django_user_model):
    from django.contrib.auth.models import Permission

    make_flag(project)
    charlie.is_staff = True
    charlie.save()
    charlie.user_permissions.add(Permission.objects.get(codename="view_flag"))
    client.force_login(charlie)
    assert list(client.get(CHANGELIST).context["cl"].result_list) == []


def test_adding_an_environment_in_the_inline_is_audited(admin_client, project):
    flag = make_flag(project)
    n = flag.environments.count()
    data = admin_change_form(flag, **{"environments-TOTAL_FORMS": n + 1, f"environments-{n}-flag": flag.id,
                                 f"environments-{n}-environment": "eu-canary", f"environments-{n}-default_variant": "on",
                                 f"environments-{n}-rollout_percentage": "10", f"environments-{n}-rules": "[]",
                                 f"environments-{n}-allow_keys": "[]", f"environments-{n}-deny_keys": "[]"})
    response = admin_client.post(f"/admin/flags/flag/{flag.pk}/change/", data)
    assert response.status_code == 302
    state = FlagEnvironment.objects.get(flag=flag, environment="eu-canary")
    assert (state.enabled, float(state.rollout_percentage)) == (False, 10.0)
    change = FlagChange.objects.get(environment="eu-canary")
    assert (change.source, change.before, change.after["rollout_percentage"]) == ("admin", None, 10)


def test_inline_refuses_a_rule_with_an_unknown_condition(admin_client, project):
    flag = make_flag(project)
    index = [s.environment for s in flag.environments.all()].index("production")
    bad = '[{"conditions": [{"attribute": "plan", "op": "regex", "value": "x"}], "variant": "on"}]'
    response = admin_client.post(f"/admin/flags/flag/{flag.pk}/change/", admin_change_form(flag, **{f"environments-{index}-rules": bad}))
    assert response.status_code == 200 and "unknown condition" in response.content.decode()
    assert FlagEnvironment.objects.get(flag=flag, environment="production").rules == []


def test_sdk_key_added_in_the_admin_is_shown_once_and_audited(admin_client, project):
    response = admin_client.post("/admin/flags/sdkkey/add/", {"project": project.id, "environment": "staging",
                                                              "kind": "server", "label": "ci"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("sysrv_" in m for m in shown)
    change = FlagChange.objects.get(action="sdk_key_created")
    assert (change.source, change.environment) == ("admin", "staging")
