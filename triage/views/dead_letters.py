"""The dead-letter streams, for staff: what could not be digested and why; replay or purge them
(one, those matching a filter, or all). The work is in triage.stream.dead_letters."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from config.redis_clients import redis_client
from triage.stream import dead_letters
from triage.stream.dead_letters import Selection

SHOWN = 100
FILTER_FIELDS = ("stream", "project", "reason")


@staff_member_required
@require_GET
def dead_letter_list(request):
    try:
        selection = _selection(request.GET)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    client = redis_client()
    return render(request, "triage/dead_letters.html", {
        "counts": dead_letters.count_dead_letters(client),
        "entries": dead_letters.list_dead_letters(client, selection, SHOWN),
        "filter": {name: request.GET.get(name, "") for name in FILTER_FIELDS},
        "filtered": not selection.is_everything,
        "stream_names": list(dead_letters.STREAM_NAMES),
    })


@staff_member_required
@require_POST
def dead_letter_replay(request):
    return _apply(request, dead_letters.replay_dead_letters, "Replayed")


@staff_member_required
@require_POST
def dead_letter_purge(request):
    return _apply(request, dead_letters.purge_dead_letters, "Purged")


def _apply(request, action, done: str):
    try:
        selection = _selection(request.POST)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    count = action(redis_client(), selection)
    messages.success(request, f"{done} {count} dead letter{'' if count == 1 else 's'}.")
    back = {name: request.POST[name] for name in FILTER_FIELDS if request.POST.get(name) and not request.POST.get("id")}
    return redirect(reverse("triage:dead_letters") + (f"?{urlencode(back)}" if back else ""))


def _selection(params) -> Selection:
    return Selection.parse(params.get("stream", ""), params.getlist("id"), params.get("project"), params.get("reason", ""))
