"""Triage decisions on a group: POST only, CSRF-checked, `triage.change_errorgroup`, members only.

Each view parses its form and calls the one function in triage.actions that makes the change.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.redis_clients import redis_client
from triage import actions
from triage.access import group_for_user
from triage.attribution import owners
from triage.attribution.evidence import cached_attribution
from triage.attribution.spikes import QUIET, cached_spike_scores
from triage.grouping import regroup
from triage.grouping.count_moves import CountsBusy


class IgnoreForm(forms.Form):
    more_events = forms.IntegerField(min_value=1, required=False)
    until = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])


class AssignForm(forms.Form):
    assignee = forms.CharField(required=False, max_length=150)


def _done(request, group, text: str):
    messages.success(request, text)
    return redirect("triage:group_detail", group_id=group.id)


def _refused(request, group, exc: ValueError):
    messages.error(request, str(exc))
    return redirect("triage:group_detail", group_id=group.id)


@login_required
@require_POST
def group_resolve(request, group_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    actions.resolve(group, actor=request.user, now=timezone.now())
    return _done(request, group, "Resolved. A new event will reopen it as regressed.")


@login_required
@require_POST
def group_resolve_next_release(request, group_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    try:
        group = actions.resolve_in_next_release(group, actor=request.user, now=timezone.now())
    except ValueError as exc:
        return _refused(request, group, exc)
    return _done(request, group, f"Resolved in the release after {group.resolved_in_release}.")


@login_required
@require_POST
def group_ignore(request, group_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    form = IgnoreForm(request.POST)
    if not form.is_valid():
        return _refused(request, group, ValueError("Ignore until a number of events (1 or more) or a date."))
    try:
        actions.ignore(group, actor=request.user, now=timezone.now(), **form.cleaned_data)
    except ValueError as exc:
        return _refused(request, group, exc)
    return _done(request, group, "Ignored.")


@login_required
@require_POST
def group_reopen(request, group_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    actions.reopen(group, actor=request.user, now=timezone.now())
    return _done(request, group, "Reopened.")


@login_required
@require_POST
def group_assign(request, group_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    form = AssignForm(request.POST)
    username = form.cleaned_data["assignee"] if form.is_valid() else ""
    try:
        group = actions.assign_by_username(group, username, actor=request.user, now=timezone.now())
    except ValueError as exc:
        return _refused(request, group, exc)
    return _done(request, group, f"Assigned to {username}." if group.assignee_id else "Unassigned.")


@login_required
@require_POST
def group_accept_suggestion(request, group_id: int):
    """The group page's one click: assign to the suggested developer shown."""
    group, now = group_for_user(request.user, group_id, for_change=True), timezone.now()
    try:
        group = actions.accept_suggestion(group, actor=request.user, now=now, suggestion=shown_suggestion(group, now))
    except ValueError as exc:
        return _refused(request, group, exc)
    return _done(request, group, f"Assigned to {group.assignee.get_username()}, as suggested.")


def shown_suggestion(group, now):
    """The suggestion the group page showed: weighed with the flags' evidence it used (cached a minute)."""
    redis = redis_client()
    spike = cached_spike_scores(redis, now).get(group.id, QUIET)
    return owners.suggest(group, cached_attribution(redis, group, now, spike).suspicions)



@login_required
@require_POST
def group_unmerge(request, group_id: int):
    """Splits the chosen fingerprints out of the group into a new one (triage.grouping.regroup)."""
    group = group_for_user(request.user, group_id, for_change=True)
    try:
        new = regroup.unmerge_fingerprints(redis_client(), group, request.POST.getlist("fingerprint"),
                                           actor=request.user, now=timezone.now())
    except (ValueError, CountsBusy) as exc:
        return _refused(request, group, exc)
    return _done(request, group, f"Split {new.event_count} event{'s' if new.event_count != 1 else ''} out into group #{new.id}.")
