from django.urls import path

from triage import api
from triage.views import (
    dead_letters,
    developers,
    first_run,
    flag_errors,
    group_actions,
    group_detail,
    group_list,
    health,
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
    path("dead-letters/", dead_letters.dead_letter_list, name="dead_letters"),
    path("dead-letters/replay/", dead_letters.dead_letter_replay, name="dead_letter_replay"),
    path("dead-letters/purge/", dead_letters.dead_letter_purge, name="dead_letter_purge"),
    path("health/", health.health, name="health"),
    path("groups/", group_list.group_list, name="group_list"),
    path("groups/<int:group_id>/", group_detail.group_detail, name="group_detail"),
    path("groups/<int:group_id>/chart/", group_detail.group_chart, name="group_chart"),
    path("groups/<int:group_id>/resolve/", group_actions.group_resolve, name="group_resolve"),
    path("groups/<int:group_id>/resolve-next-release/", group_actions.group_resolve_next_release, name="group_resolve_next_release"),
    path("groups/<int:group_id>/ignore/", group_actions.group_ignore, name="group_ignore"),
    path("groups/<int:group_id>/reopen/", group_actions.group_reopen, name="group_reopen"),
    path("groups/<int:group_id>/assign/", group_actions.group_assign, name="group_assign"),
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
]
