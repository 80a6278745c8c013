"""Routes of the flags app: dashboard pages, the flags REST API, OFREP and trigger URLs.

Flag keys may contain `/` (OFREP clients do not escape it), so they are matched with <path:>;
action routes come before the catch-all detail route, and flags.validation reserves their
names as key parts, so no key can shadow an action.
"""

from django.urls import path

from flags.views import api, dashboard, hooks, manage, ofrep, reports

app_name = "flags"

P = "projects/<int:project_id>/"

urlpatterns = [
    # Dashboard
    path(P + "flags/", dashboard.flag_list, name="flag_list"),
    path(P + "flags/new/", dashboard.flag_create, name="flag_create"),
    path(P + "flag-audit/", reports.audit_log, name="audit_log"),
    path(P + "flag-cleanup/", reports.stale_flags, name="stale_flags"),
    path(P + "sdk-keys/", manage.sdk_key_list, name="sdk_key_list"),
    path(P + "sdk-keys/new/", manage.sdk_key_create, name="sdk_key_create"),
    path(P + "sdk-keys/<int:key_id>/revoke/", manage.sdk_key_revoke, name="sdk_key_revoke"),
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
    path("api/0/" + P + "flags/<path:key>/", api.flag_resource, name="api_flag_detail"),
    # OFREP (SDK keys)
    path("ofrep/v1/evaluate/flags", ofrep.evaluate_flags, name="ofrep_bulk"),
    path("ofrep/v1/evaluate/flags/<path:key>", ofrep.evaluate_flag, name="ofrep_flag"),
    path("ofrep/v1/stream", ofrep.change_stream, name="ofrep_stream"),
    path("ofrep/<path:rest>", ofrep.not_found, name="ofrep_not_found"),
    # Trigger URLs (the secret is the credential)
    path("hooks/flags/<str:token>/", hooks.trigger_fire, name="trigger_fire"),
]
