"""projects.access and projects.api: one rule for who sees what, answered as pages or as JSON."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from projects.access import project_for_user, project_member_required
from projects.api import BadRequest, json_body, page_json, paginate, token_required
from projects.models import Project
from projects.tokens import create_token
from tests.factories import grant

pytestmark = pytest.mark.django_db


@project_member_required(perm="flags.change_flag")
def change_view(request, project):
    return HttpResponse(project.name)


@project_member_required
def read_view(request, project):
    return HttpResponse(project.name)


def request_by(user, method="get", body=b"", **extra):
    request = getattr(RequestFactory(), method)("/", data=body, content_type="application/json", **extra)
    request.user = user
    return request


def test_members_and_superusers_see_a_project_others_get_404(project, bob, charlie, admin_user):
    assert read_view(request_by(bob), project_id=project.id).content == b"shop"
    assert read_view(request_by(admin_user), project_id=project.id).content == b"shop"
    with pytest.raises(Http404, match="no such project"):
        read_view(request_by(charlie), project_id=project.id)
    with pytest.raises(Http404):
        project_for_user(bob, 999_999)


def test_a_change_needs_the_permission_after_membership(project, bob, charlie):
    with pytest.raises(Http404):
        change_view(request_by(grant(charlie, "flags.change_flag")), project_id=project.id)  # 404 before 403
    with pytest.raises(PermissionDenied, match="flags.change_flag"):
        change_view(request_by(bob), project_id=project.id)
    assert change_view(request_by(grant(bob, "flags.change_flag")), project_id=project.id).status_code == 200


@token_required
@project_member_required
def api_view(request, project):
    if request.GET.get("bad"):
        raise BadRequest("bad input")
    return page_json(paginate(request, Project.objects.filter(id=project.id)), lambda p: p.name)


def call_api(token, project_id, **params):
    request = RequestFactory().get("/", params, HTTP_AUTHORIZATION=f"Bearer {token}" if token else "")
    response = api_view(request, project_id=project_id)
    return response.status_code, json.loads(response.content)


def test_the_api_answers_access_and_input_errors_as_json(project, bob, charlie):
    token = create_token(bob)
    assert call_api(token, project.id) == (200, {"results": ["shop"], "page": 1, "pages": 1})
    assert call_api(create_token(charlie), project.id) == (404, {"detail": "no such project"})
    assert call_api(token, project.id, bad="1") == (400, {"detail": "bad input"})
    assert call_api(token, project.id, page="9") == (400, {"detail": "page out of range"})
    status, body = call_api("sy_not-a-token", project.id)
    assert status == 401 and "create_token" in body["detail"]


def test_a_json_body_must_be_an_object(bob):
    assert json_body(request_by(bob, "post", b'{"a": 1}')) == {"a": 1}
    for body in (b"[1]", b"{not json", "\udcff".encode("utf-8", "surrogatepass")):
        with pytest.raises(BadRequest):
            json_body(request_by(bob, "post", body))
