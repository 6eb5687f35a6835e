"""No function of the package takes more than MAX_POSITIONAL parameters by position: the rest are keyword-only,
so a call names what it passes (`Hit(id=…, score=…)`, `build(sources, root, strict=True)`). Typer's command
functions aside (typer reads their parameters as options), and tests/ and bench/. Read from the source."""

from __future__ import annotations

import ast

from tests.helpers import ROOT

MAX_POSITIONAL = 5
PACKAGE = [ROOT / "__init__.py", ROOT / "cli.py", ROOT / "facade.py"] + [
    p for pkg in ("index", "search", "serve", "watch") for p in sorted((ROOT / pkg).rglob("*.py"))
]


def _is_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "callback")
        for d in node.decorator_list
    )


def _positional(node: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> int:
    names = [a.arg for a in node.args.posonlyargs + node.args.args]
    if in_class and names and names[0] in ("self", "cls"):
        names = names[1:]
    return len(names)


def _functions(tree: ast.AST):
    def walk(node: ast.AST, in_class: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, in_class
                yield from walk(child, False)
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, True)
            else:
                yield from walk(child, in_class)

    yield from walk(tree, False)


def _dataclass_positional(node: ast.ClassDef) -> int | None:
    """How many fields a @dataclass's generated __init__ takes by position (up to a `_: KW_ONLY` marker; none
    with kw_only=True); None for another class."""
    for d in node.decorator_list:
        call = d if isinstance(d, ast.Call) else None
        name = (call.func if call else d).id if isinstance(call.func if call else d, ast.Name) else None
        if name != "dataclass":
            continue
        if call and any(k.arg == "kw_only" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords):
            return 0
        n = 0
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign):
                note = ast.unparse(stmt.annotation)
                if "KW_ONLY" in note:
                    break
                if "ClassVar" not in note:
                    n += 1
        return n
    return None


def test_no_dataclass_takes_more_than_five_fields_by_position():
    wide, checked = [], 0
    for path in PACKAGE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and (n := _dataclass_positional(node)) is not None:
                checked += 1
                if n > MAX_POSITIONAL:
                    wide.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n})")
    assert checked > 20
    assert not wide, "\n".join(wide)


def test_no_function_takes_more_than_five_parameters_by_position():
    wide = []
    checked = 0
    for path in PACKAGE:
        for node, in_class in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            checked += 1
            n = _positional(node, in_class)
            if n > MAX_POSITIONAL and not _is_command(node):
                wide.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n})")
    assert checked > 400  # the rule is checked on the real package
    assert not wide, "\n".join(wide)


def test_every_type_ignore_names_its_error_and_its_reason():
    """mypy runs in `make lint` (pyproject.toml [tool.mypy]); what it may not check says which error and why."""
    import re

    bare = []
    for path in PACKAGE:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" in line and not re.search(r"# type: ignore\[[\w, -]+\]  # \S", line):
                bare.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bare, "\n".join(bare)
