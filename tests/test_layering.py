"""Data flows one way: index/ never imports search/, only cli.py imports serve/ and watch/, watch/
imports index/ alone, and no two
modules import each other (directly or round a longer loop). Read from the source, so a lazy import counts too."""

from __future__ import annotations

import ast

from tests.helpers import ROOT

PACKAGES = ("index", "search", "serve", "watch")


def _imports() -> dict[str, set[str]]:
    """akhbar module → the akhbar modules it imports anywhere in its source."""
    graph: dict[str, set[str]] = {}
    for path in [ROOT / "cli.py", *(p for pkg in PACKAGES for p in (ROOT / pkg).glob("*.py"))]:
        name = "akhbar." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("akhbar."):
                for alias in node.names:  # `from akhbar.index import store` names the module akhbar.index.store
                    sub = f"{node.module}.{alias.name}"
                    deps.add(sub if (ROOT / sub.removeprefix("akhbar.").replace(".", "/")).with_suffix(".py").exists()
                             else node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("akhbar.")}
        graph[name] = {d for d in deps if not d.endswith(".__init__")} - {name}
    return graph


def test_index_never_imports_search():
    wrong = {m: sorted(d for d in deps if d.startswith("akhbar.search"))
             for m, deps in _imports().items() if m.startswith("akhbar.index.")}
    assert not {m: d for m, d in wrong.items() if d}, wrong


def test_only_the_cli_imports_serve():
    wrong = {m: sorted(d for d in deps if d.startswith("akhbar.serve"))
             for m, deps in _imports().items() if not m.startswith("akhbar.serve") and m != "akhbar.cli"}
    assert not {m: d for m, d in wrong.items() if d}, wrong


def test_only_the_cli_imports_watch_and_watch_imports_only_index():
    graph = _imports()
    wrong = {m: sorted(d for d in deps if d.startswith("akhbar.watch"))
             for m, deps in graph.items() if not m.startswith("akhbar.watch") and m != "akhbar.cli"}
    assert not {m: d for m, d in wrong.items() if d}, wrong
    outside = {m: sorted(d for d in deps if not d.startswith(("akhbar.index", "akhbar.watch")))
               for m, deps in graph.items() if m.startswith("akhbar.watch")}
    assert not {m: d for m, d in outside.items() if d}, outside
    assert any(m.startswith("akhbar.watch.") for m in graph)  # the rule is checked on real modules


def test_no_import_cycles():
    graph = _imports()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycles.append(path[path.index(d):] + [d])
            elif d in graph and not state.get(d):
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m, [m])
    assert not cycles, cycles
