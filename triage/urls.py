from django.urls import path

from triage import api, api_alerts, api_ownership, api_releases, api_suspects
from triage.views import (
    alerts,
    bulk_actions,
    dead_letters,
    developers,
    first_run,
    flag_errors,
    group_actions,
    group_detail,
    group_list,
    health,
    ownership,
    projects,
    releases,
)

app_name = "triage"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:project_id>/settings/", projects.project_settings, name="project_settings"),
    path("projects/<int:project_id>/keys/", projects.key_create, name="key_create"),
    path("projects/<int:project_id>/keys/<int:key_id>/revoke/", projects.key_revoke, name="key_revoke"),
    path("projects/<int:project_id>/quotas/", projects.quota_update, name="quota_update"),
    path("projects/<int:project_id>/start/", first_run.project_start, name="project_start"),
    path("projects/<int:project_id>/ownership/", ownership.ownership_update, name="ownership_update"),
    path("projects/<int:project_id>/alerts/new/", alerts.alert_rule_create, name="alert_rule_create"),
    path("projects/<int:project_id>/alerts/<int:rule_id>/", alerts.alert_rule_history, name="alert_rule_history"),
    path("projects/<int:project_id>/alerts/<int:rule_id>/enable/", alerts.alert_rule_enable, name="alert_rule_enable"),
    path("projects/<int:project_id>/alerts/<int:rule_id>/delete/", alerts.alert_rule_delete, name="alert_rule_delete"),
    path("dead-letters/", dead_letters.dead_letter_list, name="dead_letters"),
    path("dead-letters/replay/", dead_letters.dead_letter_replay, name="dead_letter_replay"),
    path("dead-letters/purge/", dead_letters.dead_letter_purge, name="dead_letter_purge"),
    path("health/", health.health, name="health"),
    path("groups/", group_list.group_list, name="group_list"),
    path("groups/bulk/", bulk_actions.group_bulk, name="group_bulk"),
    path("groups/<int:group_id>/", group_detail.group_detail, name="group_detail"),
    path("groups/<int:group_id>/chart/", group_detail.group_chart, name="group_chart"),
    path("groups/<int:group_id>/resolve/", group_actions.group_resolve, name="group_resolve"),
    path("groups/<int:group_id>/resolve-next-release/", group_actions.group_resolve_next_release, name="group_resolve_next_release"),
    path("groups/<int:group_id>/ignore/", group_actions.group_ignore, name="group_ignore"),
    path("groups/<int:group_id>/reopen/", group_actions.group_reopen, name="group_reopen"),
    path("groups/<int:group_id>/assign/", group_actions.group_assign, name="group_assign"),
    path("groups/<int:group_id>/unmerge/", group_actions.group_unmerge, name="group_unmerge"),
    path("groups/<int:group_id>/accept-suggestion/", group_actions.group_accept_suggestion, name="group_accept_suggestion"),
    path("releases/", releases.release_list, name="release_list"),
    path("releases/compare/", releases.release_compare, name="release_compare"),
    path("flag-errors/", flag_errors.flag_errors, name="flag_errors"),
    path("flag-errors/<int:project_id>/disable/", flag_errors.flag_disable, name="flag_disable"),
    path("developers/", developers.developer_list, name="developer_list"),
]

api_urlpatterns = [
    path("projects/<int:project_id>/groups/", api.group_list, name="api_group_list"),
    path("groups/<int:group_id>/", api.group_update, name="api_group_update"),
    path("groups/<int:group_id>/events/", api.group_events, name="api_group_events"),
    path("projects/<int:project_id>/alert-rules/", api_alerts.alert_rule_collection, name="api_alert_rules"),
    path("projects/<int:project_id>/alert-rules/<int:rule_id>/history/", api_alerts.alert_rule_history,
         name="api_alert_rule_history"),
    path("groups/<int:group_id>/suspects/", api_suspects.group_suspects, name="api_group_suspects"),
    path("projects/<int:project_id>/ownership/", api_ownership.project_ownership, name="api_project_ownership"),
    path("projects/<int:project_id>/releases/", api_releases.project_release_create, name="api_project_releases"),
    # Sentry's release API (sentry-cli releases new / set-commits / finalize); more specific routes first.
    path("organizations/<str:org>/repos/", api_releases.sentry_repositories, name="sentry_repos"),
    path("organizations/<str:org>/releases/", api_releases.sentry_release_create, name="sentry_release_create"),
    path("organizations/<str:org>/releases/<path:version>/previous-with-commits/", api_releases.sentry_previous_release,
         name="sentry_release_previous"),
    path("organizations/<str:org>/releases/<path:version>/", api_releases.sentry_release_detail, name="sentry_release_detail"),
]
