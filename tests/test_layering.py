"""Data flows one way: index/ never imports search/, only cli.py imports serve/ (it and the facade watch/),
watch/ imports index/ alone, the rooms of index/ import each other only downstream (ROOMS), the facade
(akhbar.Index) is called only from above (the CLI, serve/) and is their only door, and no two modules import
each other (directly or round a longer loop). Read from the source, so a lazy import counts too."""

from __future__ import annotations

import ast

from tests.helpers import ROOT

PACKAGES = ("index", "search", "serve", "watch")

# What each room of index/ may import besides itself and the modules every room shares (SHARED). Data flows
# ingest -> embedding -> store -> stories: ingest reads articles, embedding turns text into vectors, both
# know nothing of an index on disk; store keeps an index (its lexical table holds ingest's terms); stories
# are computed over a store. The writers beside the rooms in index/ (writers, stage,
# parquet_export) call any room; no room calls a writer.
ROOMS = {
    "ingest": set(),
    "embedding": set(),
    "store": {"ingest"},
    "stories": {"ingest", "store"},
}
SHARED = {"akhbar.index.article", "akhbar.index.checksum", "akhbar.index.config", "akhbar.index.errors", "akhbar.index.filters"}


def _imports() -> dict[str, set[str]]:
    """akhbar module → the akhbar modules it imports anywhere in its source."""
    graph: dict[str, set[str]] = {}
    for path in [ROOT / "cli.py", ROOT / "facade.py", *(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))]:
        name = "akhbar." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if name.endswith(".__init__"):
            name = name.removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("akhbar."):
                for alias in node.names:  # `from akhbar.index.store import sql` names the module akhbar.index.store.sql
                    sub = f"{node.module}.{alias.name}"
                    deps.add(sub if (ROOT / sub.removeprefix("akhbar.").replace(".", "/")).with_suffix(".py").exists() else node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("akhbar.")}
        graph[name] = {d for d in deps if not d.endswith(".__init__")} - {name}
    return graph


def test_index_never_imports_search():
    wrong = {m: sorted(d for d in deps if d.startswith("akhbar.search")) for m, deps in _imports().items() if m.startswith("akhbar.index.")}
    assert not {m: d for m, d in wrong.items() if d}, wrong


def _room(module: str) -> str | None:
    """`store` for akhbar.index.store.sql; None for a module at index/'s top level."""
    parts = module.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "index" else None


def test_rooms_import_only_downstream_rooms_and_the_shared_modules():
    graph = _imports()
    assert {_room(m) for m in graph} - {None} == set(ROOMS), "a room was added or removed: state its rule in ROOMS"
    wrong = {}
    for m, deps in graph.items():
        room = _room(m)
        if m in SHARED:
            bad = {d for d in deps if d.startswith("akhbar.index.") and d not in SHARED}
        elif room is not None:
            bad = {d for d in deps if d.startswith("akhbar.index.") and d not in SHARED and _room(d) not in {room} | ROOMS[room]}
        else:
            continue
        if bad:
            wrong[m] = sorted(bad)
    assert not wrong, wrong


def test_every_module_of_index_is_in_a_room_or_named_at_the_top():
    top = {m for m in _imports() if m.startswith("akhbar.index.") and _room(m) is None} - {f"akhbar.index.{r}" for r in ROOMS}
    assert top == SHARED | {"akhbar.index.writers", "akhbar.index.stage", "akhbar.index.parquet_export"}


def test_the_facade_is_called_from_above_only():
    """akhbar.Index (facade.py) sits on index/ and search/; they never call it, the CLI and serve/ do."""
    graph = _imports()
    wrong = {m: "akhbar.facade" for m, deps in graph.items() if "akhbar.facade" in deps and m.split(".")[1] in ("index", "search")}
    assert not wrong, wrong
    assert {"akhbar.cli", "akhbar.serve.api", "akhbar.serve.pages", "akhbar.serve.writes"} <= {
        m for m, deps in graph.items() if "akhbar.facade" in deps
    }


# What akhbar.Index wraps: above it (the CLI, serve/, watch/) nothing calls these directly.
BEHIND_THE_FACADE = (
    "akhbar.index.writers",
    "akhbar.index.parquet_export",
    "akhbar.index.store.integrity",
    "akhbar.index.embedding",
    "akhbar.search.story_search",
    "akhbar.search.stories",
    "akhbar.search.dups",
    "akhbar.search.stats",
    "akhbar.search.evaluate",
)


def test_the_facade_is_the_only_door():
    """Every CLI command but `serve` (whose routes are serve/'s) calls akhbar.Index; the CLI, serve/ and watch/
    import none of what it wraps, so every read, write, check and export goes through it (watch/ writes
    through the Index it is given)."""
    graph = _imports()
    above = [m for m in graph if m == "akhbar.cli" or m.startswith(("akhbar.serve", "akhbar.watch"))]
    wrong = {m: sorted(d for d in graph[m] if d.startswith(BEHIND_THE_FACADE)) for m in above}
    assert not {m: d for m, d in wrong.items() if d}, wrong
    commands = []
    for node in ast.parse((ROOT / "cli.py").read_text(encoding="utf-8")).body:
        is_command = isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command" for d in node.decorator_list
        )
        if is_command:
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            commands.append((node.name, "Index" in names))
    assert len(commands) >= 16, commands  # the rule is checked on the real commands
    assert [name for name, calls in commands if not calls] == ["serve"], commands


def test_only_the_cli_imports_serve():
    wrong = {
        m: sorted(d for d in deps if d.startswith("akhbar.serve"))
        for m, deps in _imports().items()
        if not m.startswith("akhbar.serve") and m != "akhbar.cli"
    }
    assert not {m: d for m, d in wrong.items() if d}, wrong


def test_only_the_cli_and_the_facade_import_watch_and_watch_imports_only_index():
    graph = _imports()
    wrong = {
        m: sorted(d for d in deps if d.startswith("akhbar.watch"))
        for m, deps in graph.items()
        if not m.startswith("akhbar.watch") and m not in ("akhbar.cli", "akhbar.facade")
    }
    assert not {m: d for m, d in wrong.items() if d}, wrong
    outside = {
        m: sorted(d for d in deps if not d.startswith(("akhbar.index", "akhbar.watch")))
        for m, deps in graph.items()
        if m.startswith("akhbar.watch")
    }
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
                cycles.append(path[path.index(d) :] + [d])
            elif d in graph and not state.get(d):
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m, [m])
    assert not cycles, cycles


def test_every_module_is_reached_from_the_cli_or_akhbar_index():
    """No module of the package is there only for tests or bench/ (bench/synthetic.py, the search before story
    rows in bench/search_before_story_rows.py live there): each is imported, at some depth, by the command line
    (`akhbar`, cli.py) or by what `import akhbar` gives (akhbar.Index, akhbar.QueryOptions)."""
    graph = _imports()
    reached, todo = set(), ["akhbar.cli", "akhbar.facade", "akhbar.search.options"]
    while todo:
        m = todo.pop()
        if m not in reached:
            reached.add(m)
            todo += sorted(graph.get(m, ()))
    packages = {"akhbar.index", "akhbar.search", "akhbar.serve", "akhbar.watch"} | {f"akhbar.index.{r}" for r in ROOMS}
    unreached = sorted(set(graph) - reached - packages)
    assert len(graph) > 70 and not unreached, unreached
