"""Prerequisites between flags of a project: the graph, who depends on whom, and the checks a
save must pass (the flags and variants exist, no cycle). Evaluation is flags.evaluation's."""

from __future__ import annotations

from flags.models import Flag, FlagEnvironment
from flags.validation import InvalidChange, validate_prerequisites


def prerequisite_graph(project_id: int) -> dict[str, list[str]]:
    """{flag key: keys of the flags it requires} for the project."""
    return {key: [p["key"] for p in prerequisites or []]
            for key, prerequisites in Flag.objects.filter(project_id=project_id).values_list("key", "prerequisites")}


def dependants(project_id: int, key: str) -> list[str]:
    """The keys of the flags that require `key` directly, sorted."""
    return sorted(k for k, needs in prerequisite_graph(project_id).items() if key in needs)


def check_prerequisites(project_id: int, key: str, prerequisites, *, lock: bool = True) -> list[dict]:
    """Validates a flag's prerequisites against its project: the flags exist, the variants are
    theirs, and no cycle forms. With `lock` (the save itself), call inside the change's
    transaction: it locks the project's row, so two saves that would close a cycle between them
    are serialised and the second one refused; forms check without it."""
    from projects.models import Project

    cleaned = validate_prerequisites(prerequisites, key)
    if lock:
        Project.objects.select_for_update().filter(pk=project_id).first()
    variants = dict(Flag.objects.filter(project_id=project_id, key__in=[p["key"] for p in cleaned])
                    .values_list("key", "variants"))
    for prerequisite in cleaned:
        if prerequisite["key"] not in variants:
            raise InvalidChange(f"no flag {prerequisite['key']!r} in this project")
        unknown = set(prerequisite["variants"]) - set(variants[prerequisite["key"]])
        if unknown:
            raise InvalidChange(f"{prerequisite['key']} has no variant {', '.join(sorted(unknown))} "
                                f"(it has {', '.join(variants[prerequisite['key']])})")
    graph = prerequisite_graph(project_id)
    graph[key] = [p["key"] for p in cleaned]
    cycle = _cycle_through(graph, key)
    if cycle:
        raise InvalidChange(f"prerequisites cannot form a cycle: {' → '.join(cycle)}")
    return cleaned


def _cycle_through(graph: dict[str, list[str]], start: str) -> list[str]:
    """A path start → … → start when one exists, else []."""
    path, seen = [start], set()

    def walk(node: str) -> bool:
        for following in graph.get(node, ()):
            if following == start:
                path.append(start)
                return True
            if following not in seen:
                seen.add(following)
                path.append(following)
                if walk(following):
                    return True
                path.pop()
        return False

    return path if walk(start) else []


def blocked_environments(flag: Flag) -> dict[str, list[str]]:
    """{environment: keys of this flag's prerequisites that are off there}: where the flag serves
    its off variant to everyone, whatever its own state says (for its page)."""
    keys = [p["key"] for p in flag.prerequisites or []]
    if not keys:
        return {}
    blocked: dict[str, list[str]] = {}
    states = FlagEnvironment.objects.filter(flag__project_id=flag.project_id, flag__key__in=keys)
    on = {(key, env) for key, env, enabled in states.values_list("flag__key", "environment", "enabled") if enabled}
    for environment in flag.environments.values_list("environment", flat=True):
        off = [key for key in keys if (key, environment) not in on]
        if off:
            blocked[environment] = off
    return blocked
