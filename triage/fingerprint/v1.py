"""Grouping algorithm switchyard-v1: one group per crash site.

A group should be one bug a developer fixes once. For an exception that is the raised-last
exception's type, the innermost in-app frame (module and function, never line numbers or source
text, so edits and releases keep the group), and each chained cause's type and site. The exception
value only counts when there is no stack at all, and then parameterised. Message events group by
their logging template. The precedence follows Sentry's grouping
(https://docs.sentry.io/concepts/data-management/event-grouping/); the differences are noted
where they are made.

Frozen once released: groups store the algorithm id, and a change in hashing is a new module.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from triage.fingerprint.custom import VariableLookup, apply_fingerprint, fingerprint_entries
from triage.fingerprint.event import (
    Frame,
    as_dict,
    event_stacktrace,
    exception_values,
    first_line,
    message_text,
    parse_frames,
    tag_value,
    text,
)
from triage.fingerprint.groups import GroupTree, exception_group_tree
from triage.fingerprint.model import Component, Fingerprint
from triage.fingerprint.parameterize import parameterize
from triage.fingerprint.rules import HelperMatcher, helper_matcher
from triage.fingerprint.sites import Site, call_path, find_site

ALGORITHM = "switchyard-v1"
TITLE_CHARS = 200
# Control characters that names never contain and messages practically never do, so "ab"+"c"
# does not hash like "a"+"bc" (Sentry concatenates without a separator).
_FIELD_SEP = "\x1f"
_COMPONENT_SEP = "\x1e"

log = logging.getLogger(__name__)


class ExceptionInfo(NamedTuple):
    type: str
    value: str
    frames: list[Frame]
    synthetic: bool  # an SDK-made stand-in whose type means nothing (mechanism.synthetic)


@dataclass(slots=True)
class Analysis:
    """Default grouping of one event, before the client fingerprint is applied."""

    components: list[Component]
    title: str
    site: Site | None
    call_path: tuple[str, ...]
    error_type: str = ""
    error_value: str = ""


def read_exception(raw: dict[str, Any]) -> ExceptionInfo:
    return ExceptionInfo(
        type=text(raw.get("type")).strip(),
        value=text(raw.get("value")),
        frames=parse_frames(raw.get("stacktrace")),
        synthetic=as_dict(raw.get("mechanism")).get("synthetic") is True,
    )


def describe(exc: ExceptionInfo, helper: HelperMatcher | None) -> str:
    """A cause or group member in one line: its type and site, or its parameterised value without a stack."""
    site = find_site(exc.frames, helper)
    if site is not None:
        return f"{exc.type} at {site.frame.location}"
    return f"{exc.type}: {parameterize(exc.value)}"


def exception_title(exc: ExceptionInfo) -> str:
    value = first_line(exc.value, TITLE_CHARS)
    title = f"{exc.type}: {value}" if exc.type and value else exc.type or value or "<unknown error>"
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def _type_component(exc: ExceptionInfo) -> Component:
    if exc.synthetic:
        return Component("exception-type", exc.type, False, "ignored: synthetic exception made by the SDK")
    return Component("exception-type", exc.type, bool(exc.type), "type of the raised-last exception")


def _value_component(exc: ExceptionInfo, site: Site | None) -> Component:
    if site is not None:
        # Values carry ids, amounts and addresses; with a stack they would only split groups.
        return Component("value", first_line(exc.value), False, "ignored: the crash site decides")
    value = parameterize(exc.value)
    return Component("value", value, bool(value), "no usable stack trace: parameterised value decides")


def _cause_components(causes: Iterable[ExceptionInfo], helper: HelperMatcher | None) -> list[Component]:
    """Nearest cause first. A failure re-raised while handling itself (a retry loop) counts once."""
    components: list[Component] = []
    previous = ""
    for depth, cause in enumerate(causes, start=1):
        description = describe(cause, helper)
        if description == previous:
            continue
        previous = description
        hint = "direct cause" if depth == 1 else f"cause, {depth} links down the chain"
        components.append(Component("cause", description, True, hint))
    return components


def _analyse_chain(
    main: ExceptionInfo, causes: Sequence[ExceptionInfo], helper: HelperMatcher | None
) -> Analysis:
    site = find_site(main.frames, helper)
    components = [_type_component(main)]
    if site is not None:
        components.append(Component("site", site.frame.location, True, site.hint))
        components.extend(site.notes)
    components.append(_value_component(main, site))
    components.extend(_cause_components(causes, helper))
    path = call_path(main.frames, site, helper)
    return Analysis(components, exception_title(main), site, path, main.type, main.value)


def _analyse_group(tree: GroupTree, helper: HelperMatcher | None) -> Analysis:
    """Group by the distinct members, sorted, so [ValueError, TypeError] joins [TypeError, ValueError].

    One distinct member (a batch where every row failed the same way) is that member's bug: the
    wrapper is dropped from the hash and the title, as Sentry does.
    """
    distinct: dict[str, tuple[ExceptionInfo, list[ExceptionInfo]]] = {}
    for raw, chain in tree.members:
        member = read_exception(raw)
        distinct.setdefault(describe(member, helper), (member, [read_exception(c) for c in chain]))
    root = read_exception(tree.root)
    if len(distinct) == 1:
        member, causes = next(iter(distinct.values()))
        analysis = _analyse_chain(member, causes, helper)
        hint = "ignored: every sub-exception is the same failure, grouped by it"
        analysis.components.append(Component("exception-group", root.type, False, hint))
        return analysis
    analysis = _analyse_chain(root, [], helper)
    hint = "distinct sub-exception (sorted, so their order does not matter)"
    analysis.components.extend(Component("leaf", description, True, hint) for description in sorted(distinct))
    return analysis


def _analyse_exceptions(
    values: list[dict[str, Any]], event: dict[str, Any], helper: HelperMatcher | None
) -> Analysis:
    tree = exception_group_tree(values)
    if tree is not None:
        return _analyse_group(tree, helper)
    exceptions = [read_exception(raw) for raw in values]
    main = exceptions[-1]
    if not main.frames:
        # Native/Java SDKs put the stack on the crashed thread instead of the exception.
        main = main._replace(frames=parse_frames(event_stacktrace(event)))
    analysis = _analyse_chain(main, exceptions[-2::-1], helper)
    template, formatted = message_text(event)
    if template or formatted:  # logger.exception(): the message is context, the exception the bug
        note = Component(
            "message", first_line(template or formatted), False, "ignored: the exception decides"
        )
        analysis.components.append(note)
    return analysis


def _analyse_message(event: dict[str, Any], helper: HelperMatcher | None) -> Analysis:
    template, formatted = message_text(event)
    frames = parse_frames(event_stacktrace(event))
    site = find_site(frames, helper)
    components: list[Component] = []
    if site is not None:
        components.append(Component("site", site.frame.location, True, site.hint))
        components.extend(site.notes)
    if template or formatted:
        hint = "logging template, before formatting" if template else "formatted message, parameterised"
        if site is not None:
            # Unlike an exception, one function often logs several different messages.
            hint += "; counts with the site"
        components.append(Component("message", parameterize(template or formatted), True, hint))
    title = first_line(formatted or template, TITLE_CHARS) or "<untitled event>"
    return Analysis(components, title, site, call_path(frames, site, helper))


def _has_exception_data(values: list[dict[str, Any]]) -> bool:
    return any(
        text(v.get("type")) or text(v.get("value")) or as_dict(v.get("stacktrace")).get("frames")
        for v in values
    )


def _variables(event: dict[str, Any], analysis: Analysis) -> VariableLookup:
    """Values of Sentry's fingerprint variables; the stack ones name the crash site."""
    site = analysis.site.frame if analysis.site is not None else None
    template, formatted = message_text(event)
    known = {
        "error.type": analysis.error_type,
        "error.value": analysis.error_value,
        "stack.function": site.function if site else "",
        "stack.module": site.module if site else "",
        "stack.filename": site.filename if site else "",
        "transaction": text(event.get("transaction")),
        "level": text(event.get("level")),
        "logger": text(event.get("logger")),
        "message": formatted or template or analysis.error_value,
    }

    def lookup(name: str) -> str:
        return tag_value(event, name[5:]) if name.startswith("tags.") else known.get(name, "")

    return lookup


def _digest(parts: Iterable[str]) -> str:
    payload = _COMPONENT_SEP.join(parts).encode("utf-8", "surrogatepass")
    return hashlib.md5(payload, usedforsecurity=False).hexdigest()


def _build(event: dict[str, Any], analysis: Analysis, components: list[Component]) -> Fingerprint:
    contributing = [f"{c.name}{_FIELD_SEP}{c.value}" for c in components if c.contributes]
    if not contributing:
        fallback = Component(
            "fallback", "<nothing to group by>", True, "no exception, stack or message: one shared group"
        )
        components.append(fallback)
        contributing = [f"{fallback.name}{_FIELD_SEP}{fallback.value}"]
    site = analysis.site
    return Fingerprint(
        hash=_digest(contributing),
        algorithm=ALGORITHM,
        components=tuple(components),
        title=analysis.title,
        culprit=site.frame.location if site is not None else text(event.get("transaction"))[:TITLE_CHARS],
        call_path=analysis.call_path,
        call_path_hash=_digest(analysis.call_path)[:16],
    )


def _fingerprint(event: dict[str, Any], helper: HelperMatcher | None) -> Fingerprint:
    values = exception_values(event)
    if values and _has_exception_data(values):
        analysis = _analyse_exceptions(values, event, helper)
    else:
        analysis = _analyse_message(event, helper)
    entries = fingerprint_entries(event)
    components = analysis.components
    if entries:
        components = apply_fingerprint(entries, components, _variables(event, analysis))
    return _build(event, analysis, components)


def fingerprint_event(event: dict[str, Any], rules: Sequence[str] = ()) -> Fingerprint:
    """Decide which group ``event`` (a decoded Sentry event) belongs to.

    ``rules`` are a project's stack rules as returned by ``parse_rules``; invalid ones are skipped.
    Never raises: odd input (wrong types, nulls, empty lists, huge stacks) degrades to coarser
    grouping, and an internal error is logged and yields one shared "grouping failed" group.
    """
    try:
        return _fingerprint(event if isinstance(event, dict) else {}, helper_matcher(rules))
    except Exception:  # grouping must not drop the event; the log shows the bug
        log.exception("fingerprinting failed; event goes to the shared fallback group")
        failed = Component("fallback", "<grouping failed>", True, "grouping failed (a bug): one shared group")
        analysis = Analysis([failed], "<grouping failed>", None, ())
        return _build({}, analysis, [failed])
