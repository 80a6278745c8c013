"""Reading the tree of an ExceptionGroup out of ``exception.values``.

The SDK flattens the tree into the list and links it with ``mechanism.exception_id`` /
``parent_id`` (root id 0, ``is_exception_group: true``); a member's own cause hangs below it with
``source: "__cause__"`` (Sentry's exception-group RFC:
https://github.com/getsentry/rfcs/blob/main/text/0079-exception-groups.md).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from triage.fingerprint.event import as_dict


class GroupTree(NamedTuple):
    root: dict[str, Any]
    # Each member: the first non-group exception on a path from the root, then its cause chain
    # (nearest cause first).
    members: list[tuple[dict[str, Any], list[dict[str, Any]]]]


def _ids(raw: dict[str, Any]) -> tuple[int | None, int | None, bool]:
    mechanism = as_dict(raw.get("mechanism"))
    ids = [mechanism.get("exception_id"), mechanism.get("parent_id")]
    exception_id, parent_id = (i if isinstance(i, int) and not isinstance(i, bool) else None for i in ids)
    return exception_id, parent_id, mechanism.get("is_exception_group") is True


def _index(
    values: list[dict[str, Any]],
) -> tuple[dict[int, tuple[dict[str, Any], bool]], dict[int, list[int]]] | None:
    """Ids → (exception, is_group) and parent → children; None when the ids are not a valid tree."""
    by_id: dict[int, tuple[dict[str, Any], bool]] = {}
    children: dict[int, list[int]] = {}
    for raw in values:
        exception_id, parent_id, is_group = _ids(raw)
        if exception_id is None or exception_id in by_id:
            return None
        by_id[exception_id] = (raw, is_group)
        if parent_id is not None:
            children.setdefault(parent_id, []).append(exception_id)
        elif exception_id != 0:
            return None
    if 0 not in by_id or not by_id[0][1] or any(parent not in by_id for parent in children):
        return None
    return by_id, children


def _cause_chain(
    start: int, by_id: dict[int, tuple[dict[str, Any], bool]], children: dict[int, list[int]]
) -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = []
    seen = {start}
    current = start
    while children.get(current):
        current = children[current][0]
        if current in seen:
            break
        seen.add(current)
        chain.append(by_id[current][0])
    return chain


def exception_group_tree(values: list[dict[str, Any]]) -> GroupTree | None:
    """The group's root and members, or None when this is not a well-formed exception group.

    Broken or partial trees return None so the caller falls back to plain chained handling.
    """
    if not any(as_dict(raw.get("mechanism")).get("is_exception_group") is True for raw in values):
        return None
    index = _index(values)
    if index is None:
        return None
    by_id, children = index
    members: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    seen: set[int] = set()
    pending = [0]
    while pending:
        current = pending.pop()
        if current in seen:
            return None
        seen.add(current)
        raw, is_group = by_id[current]
        if is_group:
            pending.extend(children.get(current, ()))
        else:
            members.append((raw, _cause_chain(current, by_id, children)))
    return GroupTree(by_id[0][0], members) if members else None
