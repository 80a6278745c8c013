"""The repository stands alone: a comment or document that names a markdown document names one
that is in the repository; anything else is cited by its public URL."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("config", "projects", "triage", "flags", "bench", "templates", "static", "tests", ".ci", "README.md", "Makefile", "pyproject.toml")
SKIP_SUFFIXES = {".pyc", ".png", ".json", ".svg"}
# A document's name, not inside a URL or a path the name is part of (…/docs/api.md).
CITATION = re.compile(r"(?<![\w/.:-])([\w][\w./-]*\.md)\b")


def text_files():
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file == Path(__file__).resolve():
                continue  # its examples name documents on purpose
            if file.suffix in SKIP_SUFFIXES or "__pycache__" in file.parts or "payloads" in file.parts:
                continue
            yield file.relative_to(ROOT).as_posix(), file.read_text(errors="replace")


def citations(text: str) -> list[str]:
    return [m.group(1) for m in CITATION.finditer(text)]


def test_every_document_named_is_in_the_repository():
    missing = [
        f"{relative}:{number}: {cited}"
        for relative, text in text_files()
        for number, line in enumerate(text.splitlines(), 1)
        for cited in citations(line)
        if not (ROOT / cited).exists()
    ]
    assert missing == []


def test_a_document_outside_the_repository_is_caught_and_a_url_is_not():
    assert citations("the order is in sentry-protocol.md §2.4") == ["sentry-protocol.md"]
    assert not (ROOT / "sentry-protocol.md").exists()
    assert citations("see https://github.com/getsentry/sentry/blob/master/src/sentry/flags/docs/api.md") == []
    assert citations("README.md says how") == ["README.md"]
