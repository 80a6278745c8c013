"""Dashboard pages for segments: the project's list, one segment's page with the flags that use
it and its history, and its changes (POST + CSRF, flags.segments)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from flags import audit, segments
from flags.access import segment_for_user
from flags.conditions import REGISTRY
from flags.forms import SegmentForm
from flags.validation import InvalidChange, message
from flags.views.common import form_errors
from projects.access import project_member_required


@login_required
@project_member_required
def segment_list(request, project):
    context = {"project": project, "segments": project.segments.all(), "form": SegmentForm(),
               "operators": sorted(name for name, c in REGISTRY.items() if not c.whole_context)}
    return render(request, "flags/segment_list.html", context)


@login_required
@require_POST
@project_member_required(perm="flags.add_segment")
def segment_create(request, project):
    form = SegmentForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange(form_errors(form))
        segment = segments.create_segment(project, key=form.cleaned_data["key"], actor=request.user, source="dashboard",
                                          reason=form.cleaned_data["reason"], **form.fields_of())
    except InvalidChange as exc:
        messages.error(request, f"Could not create the segment: {message(exc)}")
        return redirect("flags:segment_list", project_id=project.id)
    messages.success(request, f"Created segment {segment.key}. Target it from a flag's rules with in_segment.")
    return redirect("flags:segment_detail", project_id=project.id, key=segment.key)


@login_required
def segment_detail(request, project_id: int, key: str):
    segment = segment_for_user(request.user, project_id, key)
    context = {"project": segment.project, "segment": segment, "form": SegmentForm.for_segment(segment),
               "used_by": segments.flags_using(segment),
               "history": audit.changes_for(segment.project, segment_key=segment.key)[:100]}
    return render(request, "flags/segment_detail.html", context)


@login_required
@require_POST
def segment_update(request, project_id: int, key: str):
    segment = segment_for_user(request.user, project_id, key, perm="flags.change_segment")
    form = SegmentForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange(form_errors(form))
        change = segments.update_segment(segment, form.fields_of(), actor=request.user, source="dashboard",
                                         reason=form.cleaned_data["reason"])
    except InvalidChange as exc:
        messages.error(request, f"Not saved: {message(exc)}")
        return redirect("flags:segment_detail", project_id=project_id, key=key)
    messages.success(request, "Saved: every flag using it changes on its next evaluation." if change else "Nothing changed.")
    return redirect("flags:segment_detail", project_id=project_id, key=key)


@login_required
@require_POST
def segment_delete(request, project_id: int, key: str):
    segment = segment_for_user(request.user, project_id, key, perm="flags.delete_segment")
    try:
        segments.delete_segment(segment, actor=request.user, source="dashboard", reason=request.POST.get("reason", ""))
    except InvalidChange as exc:
        messages.error(request, message(exc))
        return redirect("flags:segment_detail", project_id=project_id, key=key)
    messages.success(request, f"Deleted segment {key}.")
    return redirect("flags:segment_list", project_id=project_id)
