"""The read side of the dashboard: one module per page, named for its URL, each building one
context object (a dataclass) from plain data and `now`, so it tests without a request.

/groups/ → group_list · /groups/<id>/ → group_detail · /releases/ → releases ·
/developers/ → developers · /flag-errors/ → flag_errors · /logs/ → logs · /projects/<id>/start/ → first_run ·
/projects/<id>/alerts/<rule>/ (and the settings' Alerts section) → alert_rules.
charts (Plotly figures, sparklines) and event_view (a stored event as shown) serve several pages;
event_logs is the group page's logs card.
"""

from dataclasses import fields


def as_context(page) -> dict:
    """A page object's fields as a template context (shallow: the objects themselves)."""
    return {f.name: getattr(page, f.name) for f in fields(page)}
