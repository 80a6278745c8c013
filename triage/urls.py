from django.urls import path

from triage import api
from triage.views import dead_letters, projects

app_name = "triage"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:project_id>/settings/", projects.project_settings, name="project_settings"),
    path("projects/<int:project_id>/keys/", projects.key_create, name="key_create"),
    path("projects/<int:project_id>/keys/<int:key_id>/revoke/", projects.key_revoke, name="key_revoke"),
    path("dead-letters/", dead_letters.dead_letter_list, name="dead_letters"),
]

api_urlpatterns = [
    path("projects/<int:project_id>/groups/", api.group_list, name="api_group_list"),
    path("groups/<int:group_id>/events/", api.group_events, name="api_group_events"),
]
