"""The fingerprint rules page: GET shows it; POST previews a draft (any member) or saves it
(`projects.change_project`, with a reason for the audit), CSRF-checked like every POST."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from projects.access import project_member_required, require_perm
from triage.grouping.rule_changes import save_fingerprint_rules
from triage.pages import as_context
from triage.pages.grouping_rules import grouping_rules_page

SAVED = ("Saved. Events digested from a few seconds from now are grouped by these rules; stored events keep "
         "their groups (merge or unmerge to move them).")


@login_required
@project_member_required
def grouping_rules(request, project):
    if request.method != "POST":
        return render(request, "triage/grouping_rules.html", as_context(grouping_rules_page(project, timezone.now())))
    draft, reason, now = request.POST.get("rules", ""), request.POST.get("reason", ""), timezone.now()
    if request.POST.get("action") != "save":
        page = grouping_rules_page(project, now, draft, reason, preview=True)
        return render(request, "triage/grouping_rules.html", as_context(page), status=400 if page.error else 200)
    require_perm(request.user, "projects.change_project")
    try:
        change = save_fingerprint_rules(project, draft, actor=request.user, reason=reason, now=now)
    except ValueError as exc:
        page = grouping_rules_page(project, now, draft, reason, error=str(exc))
        return render(request, "triage/grouping_rules.html", as_context(page), status=400)
    messages.success(request, SAVED if change else "Nothing changed: those are the rules already.")
    return redirect("triage:grouping_rules", project_id=project.id)
