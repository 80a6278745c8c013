from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from projects import api_members
from projects.login import LoginView
from triage.urls import api_urlpatterns

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="triage:group_list", permanent=False, query_string=True), name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/0/", include((api_urlpatterns, "api"))),
    path("api/0/", include((api_members.api_urlpatterns, "projects_api"))),
    path("", include("flags.urls")),
    path("", include("triage.urls")),
]
