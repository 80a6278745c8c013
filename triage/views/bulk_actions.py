"""Bulk actions of the group list (POST /groups/bulk/): resolve, ignore, reopen, assign or merge
the selected groups. POST with CSRF, `triage.change_errorgroup`, and per group the membership of
its project (triage.bulk_actions); the result comes back as messages on the list it came from."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.redis_clients import redis_client
from projects.access import require_perm
from triage import bulk_actions
from triage.access import CHANGE_GROUP
from triage.views.group_actions import IgnoreForm


class BulkForm(IgnoreForm):
    action = forms.ChoiceField(choices=[(name, name) for name in bulk_actions.ACTIONS])
    assignee = forms.CharField(required=False, max_length=150)


@login_required
@require_POST
def group_bulk(request):
    require_perm(request.user, CHANGE_GROUP)
    back = _back(request)
    form = BulkForm(request.POST)
    ids = [int(v) for v in request.POST.getlist("group") if v.isascii() and v.isdigit() and len(v) <= 18]
    if not form.is_valid():
        messages.error(request, "Choose an action; ignore until a number of events (1 or more) or a date.")
        return redirect(back)
    try:
        result = bulk_actions.apply_bulk(request.user, ids, now=timezone.now(), redis=redis_client(), **form.cleaned_data)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if result.changed or result.unchanged:
        messages.success(request, result.summary)
    if result.problems:
        messages.error(request, result.problems)
    return redirect(back)


def _back(request) -> str:
    """The list the form was on (its filters kept), never another site."""
    target = request.POST.get("next", "")
    if target.startswith("/groups/") and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse("triage:group_list")
