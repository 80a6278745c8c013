"""Choosing the crash site in switchyard-v2.

v1's choice (triage.fingerprint.sites: the innermost in-app frame no rule marks as a helper), and:

- system frames (the runtime's, the SDK's own) are never the site, so a console message or a
  rejection seen only by the SDK's handler is not grouped by that handler (triage.fingerprint.frames
  leaves them out);
- an anonymous JavaScript function gets a context: the named function of the same module it runs
  in, and its source line, so two callbacks of one module stay apart whatever their line numbers;
- a learned raise-helper (triage.fingerprint.raise_helpers) is passed over like a helper rule's
  frame, but it counts: its caller decides, and the same caller failing another way splits;
- a JavaScript stack with no in-app frame (an error made in a library's timer) names the library's
  entry point, which counts only together with the error's message (``Site.library``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from triage.fingerprint.event import Frame
from triage.fingerprint.frames import collapse
from triage.fingerprint.model import Component
from triage.fingerprint.rules import HelperMatcher
from triage.fingerprint.sites import MAX_HELPER_NOTES, collapse_recursion


class Site(NamedTuple):
    frame: Frame
    index: int  # position in the frame list, so the call path can stop there
    hint: str
    notes: tuple[Component, ...]  # non-contributing: skipped helpers, the library frame that raised
    context: tuple[Component, ...]  # contributing: an anonymous function's context, a raise-helper
    library: bool = False  # no in-app frame: a library's entry point, deciding only with the message

    @property
    def key(self) -> str:
        """The site in one line, for causes and exception-group members."""
        if not self.context:
            return self.frame.location
        return " ".join([self.frame.location, *(f"[{c.name}: {c.value}]" for c in self.context)])

    @property
    def culprit(self) -> str:
        if not self.context:
            return self.frame.location
        caller = next((c.value for c in self.context if c.name == "caller"), "")
        return f"{self.frame.location} (in {caller})" if caller else self.frame.location


def _library_note(frames: Sequence[Frame], index: int) -> tuple[Component, ...]:
    innermost = frames[-1]
    if index == len(frames) - 1 or innermost.in_app:
        return ()
    # As in v1: the fix goes in our code, and library internals get renamed between versions.
    return (
        Component(
            "frame", innermost.location, False, "ignored: library frame; its in-app caller is the site"
        ),
    )


def anonymous_context(frames: Sequence[Frame], index: int) -> tuple[Component, ...]:
    """The named function an anonymous one runs in (same module, outward), and its source line."""
    frame = frames[index]
    components: list[Component] = []
    for outer in reversed(frames[:index]):
        if not outer.in_app:
            continue  # a library between a callback and the function that passed it
        if outer.module != frame.module:
            break
        if not outer.anonymous:
            hint = "named function of the same module that the anonymous function runs in"
            components.append(Component("caller", outer.function, True, hint))
            break
    line = collapse(frame.context_line)
    if line:
        hint = "source line of the anonymous function, whitespace collapsed (line numbers never count)"
        components.append(Component("context-line", line, True, hint))
    elif not components:
        hint = "no source line and no named caller: this module's anonymous functions group together"
        components.append(Component("context-line", "", False, hint))
    return tuple(components)


def _in_app_site(
    frames: Sequence[Frame], index: int, skipped: list[Component], helper_index: int | None
) -> Site:
    frame = frames[index]
    hint = "innermost in-app frame after skipping helpers" if skipped or helper_index is not None else "innermost in-app frame"
    context = anonymous_context(frames, index) if frame.anonymous else ()
    if helper_index is not None:
        hint_text = "learned raise-helper: it raised for several distinct callers, so its caller decides"
        context += (Component("raise-helper", frames[helper_index].location, True, hint_text),)
    return Site(frame, index, hint, tuple(skipped) + _library_note(frames, index), context)


def _library_entry(frames: Sequence[Frame], helper: HelperMatcher | None) -> Site | None:
    for index, frame in enumerate(frames):
        if helper is None or helper(frame) is None:
            hint = "library entry point (no in-app frame): counts only with the type and the message"
            return Site(frame, index, hint, (), (), library=True)
    return None


def find_site(
    frames: Sequence[Frame],
    helper: HelperMatcher | None,
    learned: frozenset[str] = frozenset(),
    is_javascript: bool = False,
) -> Site | None:
    """The crash site of a stack (see the module docs); None when no frame can be one.

    Without an in-app frame: for JavaScript the library's entry point (``library=True``), else, as
    in v1, the innermost frame that is not a helper.
    """
    skipped: list[Component] = []
    fallback: int | None = None
    helper_index: int | None = None
    for index in range(len(frames) - 1, -1, -1):
        frame = frames[index]
        rule = helper(frame) if helper is not None else None
        if rule is not None:
            if len(skipped) < MAX_HELPER_NOTES:
                skipped.append(Component("rule", frame.location, False, f"marked as helper by rule '{rule}'"))
            continue
        if frame.in_app:
            if learned and helper_index is None and not frame.anonymous and frame.location in learned:
                helper_index = index
                continue
            return _in_app_site(frames, index, skipped, helper_index)
        if fallback is None:
            fallback = index
    if helper_index is not None:  # no in-app caller beyond the raise-helper: it stays the site
        return _in_app_site(frames, helper_index, skipped, None)
    if is_javascript:
        return _library_entry(frames, helper)
    if fallback is not None:
        return Site(frames[fallback], fallback, "innermost frame (no in-app frames)", tuple(skipped), ())
    if frames:
        hint = "innermost frame (every frame matched a helper rule)"
        return Site(frames[-1], len(frames) - 1, hint, (), ())
    return None


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
