"""The schedules REST API: a flag's scheduled and progressive changes. Members read; creating,
pausing, resuming and cancelling need `flags.change_flag`.

POST body: {"environment", "reason", "start_at" (ISO 8601; default now), and either "steps":
[{"changes": {state fields}, "wait_minutes": N}, …] or "percentages": [1, 5, 25, 100] with
"every_minutes": N for a progressive rollout}.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from flags import schedules
from flags.access import CHANGE_FLAG, flag_for_user
from flags.serializers import reason_of, schedule_json
from flags.validation import InvalidChange
from flags.views.api import answers_bad_input
from projects.api import json_body, token_required


def parse_start(value, now):
    """An ISO 8601 time (a naive one is in the server's time zone); now when absent."""
    if value in (None, ""):
        return now
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidChange("start_at must be an ISO 8601 time such as 2026-12-01T09:00:00Z")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def steps_of(data: dict) -> list:
    if "percentages" in data:
        every = data.get("every_minutes")
        if not isinstance(data["percentages"], list) or isinstance(every, bool) or not isinstance(every, int):
            raise InvalidChange("a progressive rollout needs percentages (a list) and every_minutes (a whole number)")
        return schedules.progressive_steps(data["percentages"], every)
    return data.get("steps")


@token_required
@require_http_methods(["GET", "POST"])
@answers_bad_input
def schedule_collection(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG if request.method == "POST" else None)
    if request.method == "GET":
        return JsonResponse({"results": [schedule_json(s) for s in flag.schedules.select_related("created_by")]})
    data, now = json_body(request), timezone.now()
    schedule = schedules.create_schedule(flag, data.get("environment"), steps_of(data),
                                         start_at=parse_start(data.get("start_at"), now), actor=request.user,
                                         source="api", reason=reason_of(data), now=now)
    return JsonResponse(schedule_json(schedule), status=201)


ACTIONS = {
    "pause": lambda s, user, reason: schedules.pause_schedule(s, actor=user, source="api", reason=reason),
    "resume": lambda s, user, reason: schedules.resume_schedule(s, actor=user, source="api"),
    "cancel": lambda s, user, reason: schedules.cancel_schedule(s, actor=user, source="api", reason=reason),
}


@token_required
@require_POST
@answers_bad_input
def schedule_action(request, project_id: int, key: str, schedule_id: int, action: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    schedule = flag.schedules.filter(pk=schedule_id).first()
    if schedule is None or action not in ACTIONS:
        raise Http404("no such schedule")
    ACTIONS[action](schedule, request.user, reason_of(json_body(request)))
    schedule.refresh_from_db()
    return JsonResponse(schedule_json(schedule))
