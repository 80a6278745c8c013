"""The apps form a tree, projects ← flags ← triage: flags never imports triage, and projects
imports neither (their migrations' history aside). Checked on the source, so it fails at once."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(app: str) -> dict[str, set[str]]:
    """{module path: top-level packages it imports}, migrations excluded."""
    found = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[path.relative_to(ROOT).as_posix()] = names
    return found


@pytest.mark.parametrize(("app", "forbidden"), [("flags", {"triage"}), ("projects", {"triage", "flags"})])
def test_an_app_imports_nothing_of_the_apps_that_depend_on_it(app, forbidden):
    offenders = {module: sorted(names & forbidden) for module, names in imported_packages(app).items() if names & forbidden}
    assert offenders == {}
