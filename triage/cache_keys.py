"""Every key the triage pages use in the Django cache (Redis), built in one place.

All of it is derived data, safe to lose: spike scores for a few seconds, the database half of
sparklines and the project totals for a minute, chart figures until the minute or the project's
flags change (the chart generation, bumped by triage.flagstate on every flag change).
"""

from __future__ import annotations

from django.core.cache import cache

SPIKE_SCORES_SECONDS = 15


def spike_scores(epoch_seconds: int) -> str:
    return f"triage:spikes:{epoch_seconds // SPIKE_SCORES_SECONDS}"


def chart_generation(project_id: int) -> str:
    return f"triage:chartgen:{project_id}"


def chart(group_id: int, range_name: str, minute: int, generation: int) -> str:
    return f"triage:chart:{group_id}:{range_name}:{minute}:{generation}"


def project_chart(project_id: int, range_name: str, minute: int, generation: int) -> str:
    return f"triage:project-chart:{project_id}:{range_name}:{minute}:{generation}"


def sparkline(group_id: int, start: int, step: int, buckets: int, minute: int) -> str:
    return f"triage:spark:{group_id}:{start}:{step}:{buckets}:{minute}"


def project_totals(project_ids, minute: int) -> str:
    return f"triage:project-totals:{','.join(map(str, sorted(project_ids)))}:{minute}"


def filter_options(project_id: int | None, visible_project_ids) -> str:
    return f"triage:filter-options:{project_id}:{','.join(map(str, visible_project_ids))}"


def attribution(group_id: int, minute: int, spiking: bool) -> str:
    return f"triage:attribution:{group_id}:{minute}:{int(spiking)}"


def latest_attribution(group_id: int) -> str:
    return f"triage:attribution-latest:{group_id}"


def guard_dry_run(flag_id: int, environment: str) -> str:
    return f"triage:guard-dry-run:{flag_id}:{environment}"


def current_chart_generation(project_id: int) -> int:
    return cache.get(chart_generation(project_id), 0)


def bump_chart_generation(project_id: int) -> None:
    """Called on every flag change of the project (triage.flagstate), so cached charts show the
    change's marker at once."""
    key = chart_generation(project_id)
    if not cache.add(key, 1, None):
        cache.incr(key)
