"""GET /api/0/groups/<id>/suspects/: why a group happens, for scripts and chat bots: its spike,
its flags ranked with their evidence (triage.attribution), and the suggested assignee."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.redis_clients import redis_client
from projects.api import token_required
from triage.access import group_for_user
from triage.attribution import owners
from triage.attribution.evidence import cached_attribution
from triage.attribution.ranking import Suspicion
from triage.attribution.spikes import QUIET, cached_spike_scores


@token_required
@require_GET
def group_suspects(request, group_id: int):
    group = group_for_user(request.user, group_id)
    redis, now = redis_client(), timezone.now()
    spike = cached_spike_scores(redis, now).get(group.id, QUIET)
    attribution = cached_attribution(redis, group, now, spike)
    suggestion = owners.suggest(group, attribution.suspicions)
    return JsonResponse({
        "spike": {"spiking": spike.spiking, "new": spike.new, "score": spike.score,
                  "began_at": spike.began.isoformat() if spike.began else None},
        "window": {"start": attribution.start.isoformat(), "end": attribution.end.isoformat()},
        "flags": [suspicion_json(s) for s in attribution.suspicions],
        "suggested_assignee": owners.suggestion_json(suggestion),
    })


def suspicion_json(s: Suspicion) -> dict:
    return {
        "key": s.key, "variant": s.variant, "value": s.value, "environment": s.environment, "basis": s.basis,
        "significant": s.significant, "suspect": s.suspect, "p_value": s.p_value,
        "affected_with": s.affected_with, "exposed_with": s.exposed_with,
        "affected_without": s.affected_without, "exposed_without": s.exposed_without,
        "evidence": s.evidence,
        "changes": [{"action": c.action, "at": c.at.isoformat(), "by": c.by} for c in s.changes],
    }
