"""The fingerprint rules page (/projects/<id>/grouping/): the rules in an editor, what a draft
would change before it is saved (triage.grouping.rule_preview), and every change made so far."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from triage.grouping.rule_changes import fingerprint_rules_text
from triage.grouping.rule_preview import PREVIEW_DAYS, PREVIEW_EVENTS, RulePreview, preview_rules
from triage.models import FingerprintRulesChange

HISTORY = 20
EXAMPLE = """# One rule per line: matchers -> fingerprint. The first matching line wins.
error.type:ConnectionError -> connection-errors
message:"*timeout*" -> timeouts
"""


@dataclass
class GroupingRulesPage:
    project: object
    text: str  # in the editor: the saved rules, or the draft being previewed
    saved: str
    preview: RulePreview | None
    error: str
    reason: str
    history: list[FingerprintRulesChange]
    is_draft: bool  # the editor holds something else than the saved rules
    example: str = EXAMPLE
    preview_events: int = PREVIEW_EVENTS
    preview_days: int = PREVIEW_DAYS


def grouping_rules_page(project, now: dt.datetime, draft: str | None = None, reason: str = "", preview: bool = False,
                        error: str = "") -> GroupingRulesPage:
    """With `preview`, replays recent events through `draft`; a draft that does not parse gives
    the page its error instead."""
    saved = fingerprint_rules_text(project)
    text = saved if draft is None else draft
    shown = None
    if preview and not error:
        try:
            shown = preview_rules(project, text, now)
        except ValueError as exc:
            error = str(exc)
    history = list(FingerprintRulesChange.objects.filter(project=project).select_related("actor")[:HISTORY])
    return GroupingRulesPage(project, text, saved, shown, error, reason, history, text.strip() != saved.strip())
