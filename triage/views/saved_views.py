"""Saved views of the group list: save the current filters under a name, list them, delete one.
POST only for changes, CSRF-checked; a view is saved in a project the user is a member of, sharing
it with the project needs `projects.change_project`, and so does deleting someone else's shared view."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.access import project_for_user, require_perm
from triage import saved_views

SHARE = "projects.change_project"


@login_required
@require_POST
def saved_view_create(request):
    query = request.POST.get("query", "")
    # The project the filters name wins over the form's (the list may have changed it in place).
    project_id = QueryDict(query).get("project") or request.POST.get("project", "")
    if not project_id.isascii() or not project_id.isdigit() or len(project_id) > 18:
        raise Http404("no such project")
    project = project_for_user(request.user, int(project_id))
    shared = request.POST.get("shared") == "on"
    if shared:
        require_perm(request.user, SHARE)
    try:
        view = saved_views.save_view(request.user, project, request.POST.get("name", ""), query, shared=shared, now=timezone.now())
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("triage:group_list") + "?" + urlencode(parse_qsl(query)[:50]))
    messages.success(request, f"Saved the view “{view.name}”{' for everyone in ' + project.name if shared else ''}.")
    return redirect(reverse("triage:group_list") + "?" + view.query)


@login_required
def saved_view_list(request):
    return render(request, "triage/saved_views.html", {"views": saved_views.views_for(request.user)})


@login_required
@require_POST
def saved_view_delete(request, view_id: int):
    view = saved_views.views_for(request.user).filter(id=view_id).first()
    if view is None:
        raise Http404("no such view")
    if view.owner_id != request.user.pk:  # someone else's shared view
        require_perm(request.user, SHARE)
    saved_views.delete_view(view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("triage:saved_view_list")
