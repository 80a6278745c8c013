"""Choosing the crash site in a stack, and the call path that led to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from triage.fingerprint.event import Frame
from triage.fingerprint.model import Component
from triage.fingerprint.rules import HelperMatcher

# A helper-heavy stack would otherwise list every skipped frame in the explanation.
MAX_HELPER_NOTES = 5
# Generators and comprehensions put a frame between two calls of a recursive function
# (count → <genexpr> → count), so a repeating block of up to this many frames counts as recursion.
MAX_RECURSION_PERIOD = 3


class Site(NamedTuple):
    frame: Frame
    index: int  # position in the frame list, so the call path can stop there
    hint: str
    notes: tuple[Component, ...]  # non-contributing: skipped helpers, the library frame that raised


def _library_note(frames: Sequence[Frame], index: int) -> tuple[Component, ...]:
    innermost = frames[-1]
    if index == len(frames) - 1 or innermost.in_app:
        return ()
    # The site is the in-app caller, not the library frame that raised: the fix goes in our code
    # (validate before json.loads, catch the KeyError), and library internals get renamed between
    # versions, which would re-split every group on a dependency upgrade.
    return (
        Component(
            "frame", innermost.location, False, "ignored: library frame; its in-app caller is the site"
        ),
    )


def find_site(frames: Sequence[Frame], helper: HelperMatcher | None) -> Site | None:
    """The innermost in-app frame that no rule marks as a helper; None for an empty stack.

    With no such frame, the innermost non-helper frame of any kind is the site: a stack that is all
    library code (a worker entry point, an SDK that could not tell app from library) still names a
    stable, line-free location, which groups better than the exception value would.
    """
    skipped: list[Component] = []
    fallback: int | None = None
    for index in range(len(frames) - 1, -1, -1):
        frame = frames[index]
        rule = helper(frame) if helper is not None else None
        if rule is not None:
            if len(skipped) < MAX_HELPER_NOTES:
                skipped.append(Component("rule", frame.location, False, f"marked as helper by rule '{rule}'"))
            continue
        if frame.in_app:
            hint = "innermost in-app frame after skipping helpers" if skipped else "innermost in-app frame"
            return Site(frame, index, hint, tuple(skipped) + _library_note(frames, index))
        if fallback is None:
            fallback = index
    if fallback is not None:
        return Site(frames[fallback], fallback, "innermost frame (no in-app frames)", tuple(skipped))
    if frames:
        return Site(frames[-1], len(frames) - 1, "innermost frame (every frame matched a helper rule)", ())
    return None


def collapse_recursion(labels: Sequence[str]) -> tuple[str, ...]:
    """Drop immediate repeats of one frame, or of a block of up to MAX_RECURSION_PERIOD frames."""
    out: list[str] = []
    for label in labels:
        out.append(label)
        for period in range(1, MAX_RECURSION_PERIOD + 1):
            if len(out) >= 2 * period and out[-period:] == out[-2 * period : -period]:
                del out[-period:]
                break
    return tuple(out)


def call_path(frames: Sequence[Frame], site: Site | None, helper: HelperMatcher | None) -> tuple[str, ...]:
    """In-app ``module.function`` labels from the outermost caller down to the site, helpers left out."""
    if site is None:
        return ()
    labels = [
        frame.label
        for frame in frames[: site.index + 1]
        if frame.in_app and (helper is None or helper(frame) is None)
    ]
    return collapse_recursion(labels)
