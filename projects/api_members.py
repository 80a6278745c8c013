"""GET/POST /api/0/projects/<id>/members/ and DELETE …/members/<username>/: who belongs to a
project, so scripts can set up a team. Members list; adding and removing needs
`projects.change_project`. Another project is a 404 (projects.access), as everywhere.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

from projects.access import project_member_required, require_perm
from projects.api import BadRequest, json_body, page_json, paginate, token_required
from projects.members import add_member, remove_member

CHANGE_PROJECT = "projects.change_project"


@token_required
@require_http_methods(["GET", "POST"])
@project_member_required
def member_collection(request, project):
    """GET: the members, a page of 100 by username. POST {"username"} or {"email"}: adds an
    existing user (201; 200 when already a member)."""
    if request.method == "GET":
        return page_json(paginate(request, project.members.order_by("username")), member_json)
    require_perm(request.user, CHANGE_PROJECT)
    user = user_named(json_body(request))
    added = add_member(project, user)
    return JsonResponse(member_json(user), status=201 if added else 200)


@token_required
@require_http_methods(["DELETE"])
@project_member_required(perm=CHANGE_PROJECT)
def member_detail(request, project, username: str):
    user = project.members.filter(username=username).first()
    if user is None or not remove_member(project, user):
        raise Http404("no such member")
    return HttpResponse(status=204)


def user_named(body: dict):
    """The active user a POST body names by "username" or "email"; BadRequest otherwise."""
    username, email = body.get("username"), body.get("email")
    users = get_user_model().objects.filter(is_active=True)
    if isinstance(username, str) and username:
        user = users.filter(username=username).first()
    elif isinstance(email, str) and email:
        user = users.filter(email__iexact=email).order_by("username").first()
    else:
        raise BadRequest('name the user: {"username": …} or {"email": …}')
    if user is None:
        raise BadRequest("no active user has that username or email (an administrator creates accounts)")
    return user


def member_json(user) -> dict:
    return {"username": user.get_username(), "email": user.email, "name": user.get_full_name()}


api_urlpatterns = [
    path("projects/<int:project_id>/members/", member_collection, name="api_member_list"),
    path("projects/<int:project_id>/members/<str:username>/", member_detail, name="api_member_detail"),
]
