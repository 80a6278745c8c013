"""GET/PUT /api/0/projects/<id>/ownership/: a project's ownership rules (CODEOWNERS text) and
whether its new groups are auto-assigned to their suggested developer (triage.attribution.owners).

Members read them; changing them needs `projects.change_project`, as on the settings page.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from projects.access import project_member_required, require_perm
from projects.api import BadRequest, json_body, token_required
from triage.attribution import owners

CHANGE_PROJECT = "projects.change_project"


@token_required
@require_http_methods(["GET", "PUT"])
@project_member_required
def project_ownership(request, project):
    """PUT {"rules": "<CODEOWNERS text>", "auto_assign": bool}; a field left out keeps its value."""
    if request.method == "PUT":
        require_perm(request.user, CHANGE_PROJECT)
        rules, auto_assign = parse_ownership(json_body(request), owners.ownership_of(project))
        try:
            owners.save_ownership(project, rules=rules, auto_assign=auto_assign, actor=request.user, now=timezone.now())
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    return JsonResponse(ownership_json(project))


def parse_ownership(body: dict, current) -> tuple[str, bool]:
    """(rules, auto_assign) from a PUT body, the current values for those left out; BadRequest."""
    rules = body.get("rules", current.rules)
    auto_assign = body.get("auto_assign", current.auto_assign)
    if not isinstance(rules, str):
        raise BadRequest("rules must be the CODEOWNERS text")
    if not isinstance(auto_assign, bool):
        raise BadRequest("auto_assign must be true or false")
    return rules, auto_assign


def ownership_json(project) -> dict:
    ownership = owners.ownership_of(project)
    return {
        "rules": ownership.rules,
        "auto_assign": ownership.auto_assign,
        "updated_at": ownership.updated_at.isoformat() if ownership.updated_at else None,
        "updated_by": ownership.updated_by.get_username() if ownership.updated_by else None,
        "problems": owners.ownership_problems(project, ownership.rules),
    }
