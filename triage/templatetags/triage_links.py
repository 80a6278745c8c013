"""Links to pages named by text an SDK sent (release versions, trace ids): such text may hold
anything, and a link that cannot be built is left out rather than failing the page."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # empty, or a line break: no URL can carry it
        return ""


@register.simple_tag
def release_url(project_id: int, version: str) -> str:
    """The release's page, or "" when its version cannot be a URL."""
    return _url("triage:release_detail", project_id, version) if version else ""


@register.simple_tag
def trace_url(project_id: int, trace_id: str) -> str:
    """The trace's page (every event of the trace), or "" when there is no trace id."""
    return _url("triage:trace_detail", project_id, trace_id) if trace_id else ""
