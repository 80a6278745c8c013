"""Raise-helpers: in-app functions that throw on behalf of their callers (``assertFound``, ``fail``).

Grouping by the innermost in-app frame puts every caller's bug into the helper's one group. A
project can name its helpers with stack rules (triage.fingerprint.rules); without a rule, a frame
is taken for a raise-helper once it is seen raising for ``MIN_CALLERS`` distinct callers, each
with messages of its own. The messages tell a helper (``fail(message)``: reserve() and release()
make it say different things) from a function that fails by itself whoever calls it (``charge()``
declining a card says the same for the web and the API checkout, and stays one group). That takes
more than one event, so the decision is learned from what each event observes:

- ``observe`` (per event): the crash site raised explicitly (its source line throws or raises,
  or builds an error), it is the innermost frame, and its direct in-app caller names it on its own
  source line. That last check keeps async stack traces honest: after an ``await`` V8 lists the
  awaiting functions, not the function that made the call, so an outer frame is not taken for a
  caller unless its line shows the call.
- ``learn_raise_helpers`` (per project, over many events): frames with enough distinct callers,
  none of whose parameterised messages was also seen from another caller.
- ``with_raise_helpers``: the fingerprint an event gets once its site is a known raise-helper; v2
  computes it beforehand (``Fingerprint.raise_helper``) so the pipeline can apply what it learned
  without fingerprinting again.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence

from triage.fingerprint.crash_site import Site
from triage.fingerprint.event import Frame
from triage.fingerprint.frames import MAX_CONTEXT_LINE
from triage.fingerprint.model import Fingerprint

# Two callers with messages of their own are enough to show that a frame raises for others.
MIN_CALLERS = 2
_EXPLICIT_RAISE = re.compile(r"\b(?:raise|throw)\b|\bnew\s+[\w$.]*(?:Error|Exception)\b")


def observe(frames: Sequence[Frame], site: Site | None) -> tuple[str, str] | None:
    """(frame, caller) when the crash site may be a raise-helper called by ``caller``; else None.

    The caller of v2's analysis adds the parameterised message to make an observation.
    """
    if site is None or site.library or site.context or site.index != len(frames) - 1:
        return None
    frame = site.frame
    line = frame.context_line
    if frame.anonymous or len(line) > MAX_CONTEXT_LINE or not _raises(line):
        return None
    for outer in reversed(frames[: site.index]):
        if outer.module == frame.module and outer.function == frame.function:
            continue  # recursion: the helper's own earlier calls
        if not outer.in_app or len(outer.context_line) > MAX_CONTEXT_LINE:
            return None
        if frame.function not in outer.context_line or not _calls(frame.function).search(outer.context_line):
            return None
        return frame.location, outer.location
    return None


def _raises(line: str) -> bool:
    # The substring test first: most lines say none of these, and it costs a tenth of the search.
    return ("raise" in line or "throw" in line or "new" in line) and _EXPLICIT_RAISE.search(line) is not None


@functools.lru_cache(maxsize=1024)
def _calls(function: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w$]){re.escape(function)}(?![\w$])")


def learn_raise_helpers(observations: Iterable[tuple[str, str, str]]) -> frozenset[str]:
    """The frames seen raising for at least MIN_CALLERS distinct callers, no message shared by two.

    ``observations`` are ``(frame, caller, parameterised message)``, e.g. ``RaiseHelper.observation``.
    """
    callers: dict[str, set[str]] = defaultdict(set)
    saying: dict[tuple[str, str], set[str]] = defaultdict(set)
    for frame, caller, message in observations:
        callers[frame].add(caller)
        saying[(frame, message)].add(caller)
    shared = {frame for (frame, _), seen in saying.items() if len(seen) > 1}
    return frozenset(frame for frame, seen in callers.items() if len(seen) >= MIN_CALLERS and frame not in shared)


def with_raise_helpers(fingerprint: Fingerprint, known: Collection[str]) -> Fingerprint:
    """``fingerprint``, or its caller-decides variant when its site is one of the ``known`` helpers."""
    helper = fingerprint.raise_helper
    if helper is not None and helper.frame in known:
        return helper.fingerprint
    return fingerprint
