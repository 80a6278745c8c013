"""Routes of the flags app: dashboard pages, the flags REST API, OFREP and trigger URLs.

Flag keys may contain `/` (OFREP clients do not escape it), so they are matched with <path:>;
action routes come before the catch-all detail route, and flags.validation reserves their
names as key parts, so no key can shadow an action.
"""

from django.urls import path

from flags.views import (
    api,
    api_approvals,
    api_schedules,
    api_segments,
    approvals,
    dashboard,
    hooks,
    manage,
    ofrep,
    reports,
    schedules,
    segments,
)

app_name = "flags"

P = "projects/<int:project_id>/"

urlpatterns = [
    # Dashboard
    path("flags/", dashboard.flags_home, name="flags_home"),
    path(P + "flags/", dashboard.flag_list, name="flag_list"),
    path(P + "flags/new/", dashboard.flag_create, name="flag_create"),
    path(P + "flag-audit/", reports.audit_log, name="audit_log"),
    path(P + "flag-cleanup/", reports.stale_flags, name="stale_flags"),
    path(P + "sdk-keys/", manage.sdk_key_list, name="sdk_key_list"),
    path(P + "sdk-keys/new/", manage.sdk_key_create, name="sdk_key_create"),
    path(P + "sdk-keys/<int:key_id>/revoke/", manage.sdk_key_revoke, name="sdk_key_revoke"),
    path(P + "segments/", segments.segment_list, name="segment_list"),
    path(P + "segments/new/", segments.segment_create, name="segment_create"),
    path(P + "segments/<str:key>/", segments.segment_detail, name="segment_detail"),
    path(P + "segments/<str:key>/edit/", segments.segment_update, name="segment_update"),
    path(P + "segments/<str:key>/delete/", segments.segment_delete, name="segment_delete"),
    path(P + "flag-approvals/", approvals.approval_list, name="approval_list"),
    path(P + "flag-approvals/policy/", approvals.policy_update, name="approval_policy"),
    path(P + "flag-approvals/<int:request_id>/", approvals.approval_detail, name="approval_detail"),
    path(P + "flag-approvals/<int:request_id>/<str:action>/", approvals.approval_action, name="approval_action"),
    path(P + "flags/<path:key>/prerequisites/", dashboard.prerequisites_update, name="prerequisites_update"),
    path(P + "flags/<path:key>/schedules/", schedules.schedule_create, name="schedule_create"),
    path(P + "flags/<path:key>/schedules/<int:schedule_id>/<str:action>/", schedules.schedule_action,
         name="schedule_action"),
    path(P + "flags/<path:key>/disable/", dashboard.flag_disable, name="flag_disable"),
    path(P + "flags/<path:key>/enable/", dashboard.flag_enable, name="flag_enable"),
    path(P + "flags/<path:key>/environments/", dashboard.environment_update, name="environment_update"),
    path(P + "flags/<path:key>/triggers/", manage.trigger_create, name="trigger_create"),
    path(P + "flags/<path:key>/triggers/<int:trigger_id>/revoke/", manage.trigger_revoke, name="trigger_revoke"),
    path(P + "flags/<path:key>/", dashboard.flag_detail, name="flag_detail"),
    # REST API (bearer tokens)
    path("api/0/" + P + "flags/", api.flag_collection, name="api_flag_list"),
    path("api/0/" + P + "flag-changes/", api.change_list, name="api_change_list"),
    path("api/0/" + P + "flags/<path:key>/disable/", api.flag_disable, name="api_flag_disable"),
    path("api/0/" + P + "flags/<path:key>/enable/", api.flag_enable, name="api_flag_enable"),
    path("api/0/" + P + "flags/<path:key>/schedules/", api_schedules.schedule_collection, name="api_schedule_list"),
    path("api/0/" + P + "flags/<path:key>/schedules/<int:schedule_id>/<str:action>/", api_schedules.schedule_action,
         name="api_schedule_action"),
    path("api/0/" + P + "flags/<path:key>/approval-requests/", api_approvals.request_create, name="api_approval_create"),
    path("api/0/" + P + "segments/", api_segments.segment_collection, name="api_segment_list"),
    path("api/0/" + P + "segments/<str:key>/", api_segments.segment_resource, name="api_segment_detail"),
    path("api/0/" + P + "flag-policy/", api_approvals.policy_resource, name="api_approval_policy"),
    path("api/0/" + P + "approval-requests/", api_approvals.request_list, name="api_approval_list"),
    path("api/0/" + P + "approval-requests/<int:request_id>/", api_approvals.request_resource, name="api_approval_detail"),
    path("api/0/" + P + "approval-requests/<int:request_id>/<str:action>/", api_approvals.request_action,
         name="api_approval_action"),
    path("api/0/" + P + "flags/<path:key>/", api.flag_resource, name="api_flag_detail"),
    # OFREP (SDK keys)
    path("ofrep/v1/evaluate/flags", ofrep.evaluate_flags, name="ofrep_bulk"),
    path("ofrep/v1/evaluate/flags/<path:key>", ofrep.evaluate_flag, name="ofrep_flag"),
    path("ofrep/v1/stream", ofrep.change_stream, name="ofrep_stream"),
    path("ofrep/<path:rest>", ofrep.not_found, name="ofrep_not_found"),
    # Trigger URLs (the secret is the credential)
    path("hooks/flags/<str:token>/", hooks.trigger_fire, name="trigger_fire"),
]
