"""Dashboard pages: members see their project's flags; changes are POST, CSRF, permission, reason."""

import pytest
from django.test import Client
from django.urls import reverse

from flags.models import FlagChange, FlagEnvironment, SdkKey, Trigger
from tests.factories import grant
from tests.flags.factories import make_flag


@pytest.fixture
def logged_in(client, alice):
    grant(alice, "flags.add_flag", "flags.change_flag", "flags.add_trigger", "flags.change_trigger", "flags.add_sdkkey", "flags.change_sdkkey")
    client.force_login(alice)
    return client


def detail(flag):
    return reverse("flags:flag_detail", kwargs={"project_id": flag.project_id, "key": flag.key})


def action(flag, name):
    return reverse(f"flags:{name}", kwargs={"project_id": flag.project_id, "key": flag.key})


def test_flag_list_shows_each_flag_with_its_state_per_environment(logged_in, project):
    make_flag(project, "new-checkout")
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    page = logged_in.get(reverse("flags:flag_list", kwargs={"project_id": project.id}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "new-checkout" in html and "dark-mode" in html and "50%" in html


def test_the_navs_flags_opens_the_project_last_looked_at_else_the_first(logged_in, project, alice):
    from tests.factories import make_project

    other = make_project("another", members=[alice])  # alphabetically first
    assert logged_in.get("/flags/").url == f"/projects/{other.id}/flags/"
    logged_in.get(f"/projects/{project.id}/flags/")
    assert logged_in.get("/flags/").url == f"/projects/{project.id}/flags/"
    assert 'href="/flags/" class="active">Flags</a>' in logged_in.get(f"/projects/{project.id}/flags/").content.decode()


def test_the_navs_flags_without_projects_says_where_to_start(client, charlie):
    client.force_login(charlie)
    assert client.get("/flags/").url == reverse("triage:project_list")


def test_flag_list_url_names_are_project_scoped(project):
    assert reverse("flags:flag_list", kwargs={"project_id": project.id}) == f"/projects/{project.id}/flags/"
    assert reverse("flags:flag_detail", kwargs={"project_id": project.id, "key": "a/b"}) == f"/projects/{project.id}/flags/a/b/"


def test_flag_page_shows_the_audit_history_and_the_buttons(logged_in, project):
    flag = make_flag(project, "payments/retry-v2")
    page = logged_in.get(detail(flag))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Disable in production" in html and "Enable in staging" in html
    assert "created" in html


def test_other_users_get_404_for_a_projects_flag_pages(client, project, charlie):
    flag = make_flag(project)
    grant(charlie, "flags.change_flag")
    client.force_login(charlie)
    assert client.get(reverse("flags:flag_list", kwargs={"project_id": project.id})).status_code == 404
    assert client.get(detail(flag)).status_code == 404
    assert client.post(action(flag, "flag_disable"), {"environment": "production", "reason": "x"}).status_code == 404
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_anonymous_visitor_is_sent_to_log_in(client, project):
    response = client.get(reverse("flags:flag_list", kwargs={"project_id": project.id}))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_disable_button_kills_the_flag_with_the_reason(logged_in, project, alice):
    flag = make_flag(project)
    response = logged_in.post(action(flag, "flag_disable"), {"environment": "production", "reason": "errors after 1.4.0"})
    assert response.status_code == 302
    change = FlagChange.objects.get(action="disabled")
    assert (change.actor, change.source, change.reason) == (alice, "dashboard", "errors after 1.4.0")
    assert not FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_disable_without_a_reason_changes_nothing(logged_in, project):
    flag = make_flag(project)
    response = logged_in.post(action(flag, "flag_disable"), {"environment": "production", "reason": ""}, follow=True)
    assert "reason is required" in response.content.decode()
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_re_enabling_asks_for_a_reason_too(logged_in, project):
    flag = make_flag(project, environments={})
    logged_in.post(action(flag, "flag_enable"), {"environment": "production", "reason": ""})
    assert not FlagEnvironment.objects.get(flag=flag, environment="production").enabled
    logged_in.post(action(flag, "flag_enable"), {"environment": "production", "reason": "fix shipped"})
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled
    change = FlagChange.objects.get(action="enabled")
    assert (change.source, change.reason, change.before["enabled"]) == ("dashboard", "fix shipped", False)


def test_state_changes_are_get_proof(logged_in, project):
    flag = make_flag(project)
    assert logged_in.get(action(flag, "flag_disable")).status_code == 405
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_state_changes_need_a_csrf_token(project, alice):
    grant(alice, "flags.change_flag")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    flag = make_flag(project)
    assert client.post(action(flag, "flag_disable"), {"environment": "production", "reason": "x"}).status_code == 403
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled


def test_member_without_change_permission_cannot_disable(client, project, bob):
    flag = make_flag(project)
    client.force_login(bob)
    assert client.get(detail(flag)).status_code == 200
    assert "Disable in production" not in client.get(detail(flag)).content.decode()
    assert client.post(action(flag, "flag_disable"), {"environment": "production", "reason": "x"}).status_code == 403


def test_create_flag_from_the_list_page(logged_in, project, alice):
    url = reverse("flags:flag_create", kwargs={"project_id": project.id})
    response = logged_in.post(url, {"key": "search-v2", "kind": "ops", "owner": alice.pk, "value_type": "boolean"})
    assert response.status_code == 302
    assert FlagChange.objects.get(flag_key="search-v2").source == "dashboard"


def test_create_flag_needs_the_add_permission(client, project, bob):
    client.force_login(bob)
    url = reverse("flags:flag_create", kwargs={"project_id": project.id})
    assert client.post(url, {"key": "x", "kind": "ops", "owner": bob.pk, "value_type": "boolean"}).status_code == 403


def test_rollout_and_rules_are_edited_per_environment(logged_in, project):
    flag = make_flag(project)
    rules = '[{"conditions": [{"attribute": "plan", "op": "equals", "value": "pro"}], "variant": "on"}]'
    logged_in.post(action(flag, "environment_update"), {
        "environment": "production", "default_variant": "on", "rollout_percentage": "20", "rules": rules,
        "allow_keys": "vip-1\nvip-2\n", "deny_keys": "", "reason": "ramp"})
    state = FlagEnvironment.objects.get(flag=flag, environment="production")
    assert (float(state.rollout_percentage), state.allow_keys, state.rules[0]["variant"]) == (20.0, ["vip-1", "vip-2"], "on")
    assert FlagChange.objects.get(action="state_changed").reason == "ramp"


def test_bad_rules_are_refused_with_a_message(logged_in, project):
    flag = make_flag(project)
    response = logged_in.post(action(flag, "environment_update"), {
        "environment": "production", "default_variant": "on", "rollout_percentage": "20",
        "rules": '[{"conditions": [{"attribute": "plan", "op": "like", "value": 1}], "variant": "on"}]'}, follow=True)
    assert "unknown condition" in response.content.decode()
    assert FlagEnvironment.objects.get(flag=flag, environment="production").rules == []


def test_untrusted_text_is_rendered_escaped(logged_in, project):
    flag = make_flag(project, "xss", description="<script>alert(1)</script>")
    logged_in.post(action(flag, "flag_disable"), {"environment": "production", "reason": "<img src=x onerror=alert(2)>"})
    for url in (detail(flag), reverse("flags:audit_log", kwargs={"project_id": project.id})):
        html = logged_in.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html or "&lt;script&gt;" in html


def test_audit_log_page_and_json_export(logged_in, project):
    flag = make_flag(project)
    logged_in.post(action(flag, "flag_disable"), {"environment": "production", "reason": "errors"})
    url = reverse("flags:audit_log", kwargs={"project_id": project.id})
    assert "errors" in logged_in.get(url).content.decode()
    export = logged_in.get(url + "?format=json&flag=new-checkout")
    assert export["Content-Disposition"].startswith("attachment")
    assert [c["action"] for c in export.json()["changes"]] == ["disabled", "created"]


def test_trigger_url_is_shown_once_and_kills_the_flag(logged_in, project, client):
    flag = make_flag(project)
    response = logged_in.post(action(flag, "trigger_create"), {"environment": "production", "label": "grafana"}, follow=True)
    message = [str(m) for m in response.context["messages"]][0]
    url = message.split(": ", 1)[1]
    assert Trigger.objects.get().prefix in url
    path = url.split("://", 1)[1].split("/", 1)[1]
    fired = Client().post("/" + path, data='{"reason": "p99 > 2s"}', content_type="application/json")
    assert fired.json()["disabled"] is True
    change = FlagChange.objects.get(action="disabled")
    assert (change.source, change.actor, change.actor_label) == ("trigger", None, "trigger grafana")
    assert "p99 > 2s" in change.reason


def test_sdk_key_is_shown_once_and_can_be_revoked(logged_in, project):
    url = reverse("flags:sdk_key_create", kwargs={"project_id": project.id})
    response = logged_in.post(url, {"environment": "staging", "kind": "server", "label": "backend"}, follow=True)
    message = [str(m) for m in response.context["messages"]][0]
    assert "sysrv_" in message
    key = SdkKey.objects.get()
    assert key.environment == "staging" and key.prefix in message
    logged_in.post(reverse("flags:sdk_key_revoke", kwargs={"project_id": project.id, "key_id": key.id}))
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert list(FlagChange.objects.values_list("action", flat=True)) == ["sdk_key_revoked", "sdk_key_created"]


def test_stale_flags_page_lists_unknown_keys(logged_in, project):
    from django.utils import timezone

    from triage.models import ProjectFlag

    now = timezone.now()
    ProjectFlag.objects.create(project=project, key="legacy-banner", value="true", count=3, first_seen=now, last_seen=now)
    page = logged_in.get(reverse("flags:stale_flags", kwargs={"project_id": project.id}))
    assert page.status_code == 200 and "legacy-banner" in page.content.decode()


@pytest.mark.parametrize("key,error", [("Bad Key!", "key"), ("taken", "already")])
def test_a_refused_flag_keeps_what_was_typed(logged_in, project, alice, key, error):
    make_flag(project, "taken")
    url = reverse("flags:flag_create", kwargs={"project_id": project.id})
    typed = {"key": key, "name": "bad", "kind": "ops", "owner": alice.pk, "value_type": "boolean",
             "description": "Routes search to the new cluster", "team": "search", "ticket": "SHOP-9"}
    response = logged_in.post(url, typed)
    assert response.status_code == 400
    html = response.content.decode()
    for name in ("name", "team", "ticket"):
        assert f'name="{name}" value="{typed[name]}"' in html, name
    assert f'value="{key}"' in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert "Routes search to the new cluster</textarea>" in html
    assert error in response.context["form"].non_field_errors().as_text() + " ".join(response.context["form"].errors.get("key", []))
    assert not project.flags.filter(name="bad").exists()
