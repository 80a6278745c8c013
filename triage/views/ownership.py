"""The project settings' "Ownership" section: ownership rules (typed, or a CODEOWNERS file
uploaded) and auto-assign. POST, CSRF-checked, `projects.change_project`, members only."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.access import project_member_required
from triage.attribution import codeowners, owners


class OwnershipForm(forms.Form):
    rules = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    codeowners = forms.FileField(required=False)
    auto_assign = forms.BooleanField(required=False)


def ownership_context(project) -> dict:
    """What the settings page shows of the section: the rules, the setting, and the warnings."""
    ownership = owners.ownership_of(project)
    return {"ownership": ownership, "ownership_problems": owners.ownership_problems(project, ownership.rules)}


def submitted_rules(form: OwnershipForm) -> str:
    """The uploaded CODEOWNERS file's text when one came, else the textarea's. ValueError for a
    file that is too large, not UTF-8 or holds NUL characters."""
    upload = form.cleaned_data.get("codeowners")
    if upload is None:
        return form.cleaned_data["rules"]
    if upload.size > codeowners.MAX_BYTES:
        raise ValueError("A CODEOWNERS file may be at most 3 MB, as on GitHub.")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The CODEOWNERS file is not UTF-8 text.") from None
    if "\x00" in text:
        raise ValueError("The CODEOWNERS file is not a text file (it holds NUL characters).")
    return text


@login_required
@require_POST
@project_member_required(perm="projects.change_project")
def ownership_update(request, project):
    form = OwnershipForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValueError("The rules must be text (no NUL characters).")
        problems = owners.save_ownership(project, rules=submitted_rules(form), auto_assign=form.cleaned_data["auto_assign"],
                                         actor=request.user, now=timezone.now())
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        warned = f" {len(problems)} warning{'s' if len(problems) > 1 else ''}: see below." if problems else ""
        messages.success(request, f"Saved the ownership rules.{warned}")
    return redirect(reverse("triage:project_settings", args=[project.id]) + "#ownership")
