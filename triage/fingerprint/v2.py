"""Grouping algorithm switchyard-v2: v1's crash-site grouping, made to hold beyond Python.

v1 (triage.fingerprint.v1) groups an exception by its type and innermost in-app frame, and that is
near-perfect on Python events. JavaScript events broke it in ways that are not JavaScript's alone;
v2 changes, in order of the pipeline:

1. Synthetic exceptions (``mechanism.synthetic``; the console integration's messages) are the SDK's
   wrapping of a message, a rejected string or a thrown object: their stack shows where they were
   captured, so the parameterised message counts together with that site.
2. The runtime's and the SDK's own frames are never a crash site (triage.fingerprint.frames). A
   JavaScript stack with no in-app frame groups by the type, the parameterised message and the
   library's entry point; one with nothing but system frames by the type and message alone.
3. Anonymous JavaScript functions are told apart by their named caller of the same module and
   their source line (triage.fingerprint.crash_site).
4. V8 frame names are reduced to the function's own name (triage.fingerprint.javascript).
5. Chained causes that repeat the exception or a nearer cause count once, so a retry loop's one
   wrapper or three are one group.
6. A frame learned to raise for several callers lets its caller decide
   (triage.fingerprint.raise_helpers), as a stack rule would.

Python events get the same components and hashes as in v1 unless one of these applies (the
captured Python payloads group identically under both: tests/triage/fingerprint).
Frozen once released, like v1: a change in hashing is a new module.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from triage.fingerprint import javascript
from triage.fingerprint.crash_site import Site, call_path, find_site
from triage.fingerprint.custom import (
    VariableLookup,
    apply_fingerprint,
    fingerprint_entries,
    resolve_variables,
)
from triage.fingerprint.event import (
    Frame,
    as_dict,
    event_stacktrace,
    exception_values,
    first_line,
    message_text,
    tag_value,
    text,
)
from triage.fingerprint.fingerprint_rules import FingerprintRule, match_rule
from triage.fingerprint.frames import read_frames
from triage.fingerprint.groups import GroupTree, exception_group_tree
from triage.fingerprint.model import Component, Fingerprint, RaiseHelper
from triage.fingerprint.parameterize import parameterize
from triage.fingerprint.raise_helpers import observe
from triage.fingerprint.rules import HelperMatcher, helper_matcher

ALGORITHM = "switchyard-v2"
TITLE_CHARS = 200
# The same separators and hash as v1, so components v2 leaves unchanged (most Python events)
# hash as they did and keep finding their v1 groups without the transition's help.
_FIELD_SEP = "\x1f"
_COMPONENT_SEP = "\x1e"

log = logging.getLogger(__name__)
_NOTHING_LEARNED: frozenset[str] = frozenset()


class Context(NamedTuple):
    helper: HelperMatcher | None  # the project's stack rules
    learned: frozenset[str]  # frames known to be raise-helpers
    is_javascript: bool
    fingerprint_rules: tuple[FingerprintRule, ...] = ()  # the project's (fingerprint_rules.py)


class ExceptionInfo(NamedTuple):
    type: str
    value: str
    frames: list[Frame]
    synthetic: bool  # an SDK-made stand-in: its type means nothing, its message everything
    system_only: bool = False  # it had frames, all of them the runtime's or the SDK's


@dataclass(slots=True)
class Analysis:
    """Default grouping of one event, before the client fingerprint is applied."""

    components: list[Component]
    title: str
    site: Site | None
    call_path: tuple[str, ...]
    error_type: str = ""
    error_value: str = ""
    observed: tuple[str, str] | None = None  # (frame, caller) of a possible raise-helper
    variant: Callable[[], Analysis] | None = None  # the event once ``observed`` is a known raise-helper


def read_exception(raw: dict[str, Any], ctx: Context) -> ExceptionInfo:
    mechanism = as_dict(raw.get("mechanism"))
    kind = text(raw.get("type")).strip()
    # The console integration's messages carry no type; older SDKs did not mark them synthetic.
    synthetic = mechanism.get("synthetic") is True or (not kind and "console" in text(mechanism.get("type")))
    stacktrace = raw.get("stacktrace")
    frames = read_frames(stacktrace, ctx.is_javascript)
    system_only = not frames and bool(as_dict(stacktrace).get("frames"))
    return ExceptionInfo(kind, text(raw.get("value")), frames, synthetic, system_only)


def _grouping_value(exc: ExceptionInfo, ctx: Context) -> str:
    value = javascript.thrown_value(exc.value) if ctx.is_javascript and exc.synthetic else exc.value
    return parameterize(value)


def _describe(exc: ExceptionInfo, site: Site | None, ctx: Context) -> str:
    if site is not None and not site.library and not exc.synthetic:
        return f"{exc.type} at {site.key}"
    described = f"{exc.type}: {_grouping_value(exc, ctx)}"
    return f"{described} at {site.key}" if site is not None else described


def describe(exc: ExceptionInfo, ctx: Context) -> str:
    """A cause or group member in one line: its type and site, with its parameterised value where that counts."""
    return _describe(exc, find_site(exc.frames, ctx.helper, ctx.learned, ctx.is_javascript), ctx)


def exception_title(exc: ExceptionInfo) -> str:
    value = first_line(exc.value, TITLE_CHARS)
    title = f"{exc.type}: {value}" if exc.type and value else exc.type or value or "<unknown error>"
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def _type_component(exc: ExceptionInfo) -> Component:
    if exc.synthetic:
        return Component("exception-type", exc.type, False, "ignored: synthetic exception made by the SDK")
    return Component("exception-type", exc.type, bool(exc.type), "type of the raised-last exception")


def _site_components(site: Site, synthetic: bool) -> list[Component]:
    hint = f"{site.hint}; where the SDK captured it, counts with its message" if synthetic else site.hint
    return [Component("site", site.frame.location, True, hint), *site.context, *site.notes]


def _value_component(exc: ExceptionInfo, site: Site | None, ctx: Context) -> Component:
    if site is not None and not site.library and not exc.synthetic:
        # Values carry ids, amounts and addresses; with a stack they would only split groups.
        return Component("value", first_line(exc.value), False, "ignored: the crash site decides")
    value = _grouping_value(exc, ctx)
    if exc.synthetic and site is not None:
        hint = "synthetic exception: what the message says counts, parameterised"
    elif site is not None:
        hint = "no in-app frame: the parameterised message counts with the type and the library entry point"
    elif exc.system_only:
        hint = "only the runtime's and the SDK's frames: the parameterised value decides"
    else:
        hint = "no usable stack trace: parameterised value decides"
    return Component("value", value, bool(value), hint)


def _cause_components(
    main: ExceptionInfo, site: Site | None, causes: Sequence[ExceptionInfo], ctx: Context
) -> list[Component]:
    """Nearest cause first. A link repeating the exception or a nearer cause (a retry loop's
    wrapper, a failure re-raised while handling itself) counts once, however deep the nesting."""
    components: list[Component] = []
    if not causes:
        return components
    seen = {_describe(main, site, ctx)}
    repeated = 0
    for depth, cause in enumerate(causes, start=1):
        description = describe(cause, ctx)
        if description in seen:
            repeated += 1
            continue
        seen.add(description)
        hint = "direct cause" if depth == 1 else f"cause, {depth} links down the chain"
        components.append(Component("cause", description, True, hint))
    if repeated:
        hint = "ignored: repeat the exception or a nearer cause (wrappers of one failure)"
        components.append(Component("cause", f"{repeated} repeated link(s)", False, hint))
    return components


def _analyse_chain(main: ExceptionInfo, causes: Sequence[ExceptionInfo], ctx: Context) -> Analysis:
    site = find_site(main.frames, ctx.helper, ctx.learned, ctx.is_javascript)
    components = [_type_component(main)]
    if site is not None:
        components.extend(_site_components(site, main.synthetic))
    components.append(_value_component(main, site, ctx))
    components.extend(_cause_components(main, site, causes, ctx))
    path = call_path(main.frames, site, ctx.helper)
    return Analysis(components, exception_title(main), site, path, main.type, main.value)


def _analyse_group(tree: GroupTree, ctx: Context) -> Analysis:
    """As in v1: the distinct members, sorted; one distinct member is that member's bug."""
    distinct: dict[str, tuple[ExceptionInfo, list[ExceptionInfo]]] = {}
    for raw, chain in tree.members:
        member = read_exception(raw, ctx)
        distinct.setdefault(describe(member, ctx), (member, [read_exception(c, ctx) for c in chain]))
    root = read_exception(tree.root, ctx)
    if len(distinct) == 1:
        member, causes = next(iter(distinct.values()))
        analysis = _analyse_chain(member, causes, ctx)
        hint = "ignored: every sub-exception is the same failure, grouped by it"
        analysis.components.append(Component("exception-group", root.type, False, hint))
        return analysis
    analysis = _analyse_chain(root, [], ctx)
    hint = "distinct sub-exception (sorted, so their order does not matter)"
    analysis.components.extend(Component("leaf", description, True, hint) for description in sorted(distinct))
    return analysis


def _analyse_exceptions(values: list[dict[str, Any]], event: dict[str, Any], ctx: Context) -> Analysis:
    tree = exception_group_tree(values)
    if tree is not None:
        return _analyse_group(tree, ctx)
    exceptions = [read_exception(raw, ctx) for raw in values]
    main = exceptions[-1]
    if not main.frames and not main.system_only:
        # Native/Java SDKs put the stack on the crashed thread instead of the exception.
        main = main._replace(frames=read_frames(event_stacktrace(event), ctx.is_javascript))
    causes = exceptions[-2::-1]
    analysis = _analyse_chain(main, causes, ctx)
    notes: list[Component] = []
    template, formatted = message_text(event)
    if template or formatted:  # logger.exception(): the message is context, the exception the bug
        hint = "ignored: the synthetic exception carries it" if main.synthetic else "ignored: the exception decides"
        notes.append(Component("message", first_line(template or formatted), False, hint))
    analysis.components.extend(notes)
    observed = None if main.synthetic else observe(main.frames, analysis.site)
    if observed is not None:
        analysis.observed = observed

        def variant() -> Analysis:
            # From the frames already read: the pipeline may apply what it learned much later.
            found = _analyse_chain(main, causes, ctx._replace(learned=ctx.learned | {observed[0]}))
            found.components.extend(notes)
            return found

        analysis.variant = variant
    return analysis


def _analyse_message(event: dict[str, Any], ctx: Context) -> Analysis:
    template, formatted = message_text(event)
    frames = read_frames(event_stacktrace(event), ctx.is_javascript)
    site = find_site(frames, ctx.helper, ctx.learned, ctx.is_javascript)
    components: list[Component] = []
    if site is not None:
        components.extend(_site_components(site, False))
    if template or formatted:
        hint = "logging template, before formatting" if template else "formatted message, parameterised"
        if site is not None:
            # Unlike an exception, one function often logs several different messages.
            hint += "; counts with the site"
        components.append(Component("message", parameterize(template or formatted), True, hint))
    title = first_line(formatted or template, TITLE_CHARS) or "<untitled event>"
    return Analysis(components, title, site, call_path(frames, site, ctx.helper))


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


def _build(
    event: dict[str, Any], analysis: Analysis, components: list[Component], raise_helper: RaiseHelper | None = None
) -> Fingerprint:
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
        culprit=site.culprit[:TITLE_CHARS] if site is not None else text(event.get("transaction"))[:TITLE_CHARS],
        call_path=analysis.call_path,
        call_path_hash=_digest(analysis.call_path)[:16],
        raise_helper=raise_helper,
    )


def _finish(
    event: dict[str, Any], analysis: Analysis, entries: list[str], raise_helper: RaiseHelper | None = None
) -> Fingerprint:
    components = analysis.components
    if entries:
        components = apply_fingerprint(entries, components, _variables(event, analysis))
    return _build(event, analysis, components, raise_helper)


def _by_rule(event: dict[str, Any], analysis: Analysis, rule: FingerprintRule) -> Fingerprint:
    """A project's fingerprint rule decided: its values replace the SDK's fingerprint, as in Sentry.
    No raise-helper variant: the rule says what groups these events."""
    lookup = _variables(event, analysis)
    components = apply_fingerprint(rule.fingerprint, analysis.components, lookup, f"fingerprint rule line {rule.line}")
    fingerprint = _build(event, analysis, components)
    title = resolve_variables(rule.title, lookup)[:TITLE_CHARS] if rule.title else fingerprint.title
    return replace(fingerprint, title=title, rule=rule.text)


def _fingerprint(event: dict[str, Any], ctx: Context) -> Fingerprint:
    values = exception_values(event)
    if values and _has_exception_data(values):
        analysis = _analyse_exceptions(values, event, ctx)
    else:
        analysis = _analyse_message(event, ctx)
    rule = match_rule(ctx.fingerprint_rules, event)
    if rule is not None:
        return _by_rule(event, analysis, rule)
    entries = fingerprint_entries(event)
    raise_helper = None
    variant = analysis.variant
    if analysis.observed is not None and variant is not None:
        frame, caller = analysis.observed
        value = analysis.error_value
        # Keep only what the variant reads of the event, not the whole event, until it is needed.
        kept = event if entries else {"transaction": event.get("transaction")}
        raise_helper = RaiseHelper(
            frame, caller, lambda: parameterize(value), lambda: _finish(kept, variant(), entries)
        )
    return _finish(event, analysis, entries, raise_helper)


def fingerprint_event(
    event: dict[str, Any], rules: Sequence[str] = (), raise_helpers: Collection[str] = (),
    fingerprint_rules: Sequence[FingerprintRule] = (),
) -> Fingerprint:
    """Decide which group ``event`` (a decoded Sentry event) belongs to.

    ``rules`` are a project's stack rules as returned by ``parse_rules``; invalid ones are skipped.
    ``raise_helpers`` are the frames (``"module in function"``) the project has learned to be
    raise-helpers (``learn_raise_helpers``). ``fingerprint_rules`` are the project's fingerprint
    rules (``parse_fingerprint_rules``): the first that matches decides. Never raises: odd input
    degrades to coarser grouping, and an internal error is logged and yields one shared "grouping
    failed" group.
    """
    try:
        event = event if isinstance(event, dict) else {}
        learned = frozenset(raise_helpers) if raise_helpers else _NOTHING_LEARNED
        ctx = Context(helper_matcher(rules), learned, javascript.is_javascript(event), tuple(fingerprint_rules))
        return _fingerprint(event, ctx)
    except Exception:  # grouping must not drop the event; the log shows the bug
        log.exception("fingerprinting failed; event goes to the shared fallback group")
        failed = Component("fallback", "<grouping failed>", True, "grouping failed (a bug): one shared group")
        analysis = Analysis([failed], "<grouping failed>", None, ())
        return _build({}, analysis, [failed])
