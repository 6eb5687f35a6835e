"""The docs say what the code is: the CLI reference is generated from it, and every `path.py` that the
code, the README and docs/ name exists."""

from __future__ import annotations

import re
import runpy

from tests.helpers import ROOT

# a path with at least one folder, ending in .py, not inside a longer path or a URL
PY_PATH = re.compile(r"(?<![\w./-])((?:[\w-]+/)+[\w-]+\.py)\b")
# paths named on purpose that are not in this repository: other projects' files (the style notes' anchors)
ELSEWHERE = {"contrib/exhaustive_search.py", "contrib/evaluation.py"}


def _sources() -> list:
    skip = {".venv", "build", ".git", ".pkg", "__pycache__", ".pytest_cache", "tests/artifacts"}
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if not skip & set(rel.parts) and not str(rel).startswith("tests/artifacts") and "egg-info" not in str(rel):
            files.append(path)
    return files


def test_every_path_named_in_code_and_docs_exists():
    missing = []
    for source in _sources():
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            for named in PY_PATH.findall(line):
                path = named.removeprefix("akhbar/")  # the wheel's names for the repository's files
                if path not in ELSEWHERE and not (ROOT / path).exists():
                    missing.append(f"{source.relative_to(ROOT)}:{n}: {named}")
    assert not missing, "\n".join(missing)


def test_the_cli_reference_is_generated_from_the_code():
    reference = runpy.run_path(str(ROOT / "docs" / "make_cli_md.py"))["reference"]()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference, (
        "docs/cli.md is stale: run `make docs` (python docs/make_cli_md.py > docs/cli.md)"
    )


def test_the_cli_reference_has_every_command():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("build", "add", "remove", "similar", "search", "dups", "stories", "coverage", "stats", "serve"):
        assert f"\n## akhbar {command}\n" in text
