"""The layering of ARCHITECTURE.md holds: imports run down the stages only, and never in a loop."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "planner"
#: Each stage group may import only from groups of a lower floor (and from inside itself).
FLOORS = {
    "ground": 0,  # errors, settings, _validate, _io, _version
    "data": 1,
    "optimize": 1,  # models on matrices: no geography, no travel graphs
    "engine": 2,
    "analysis": 3,
    "outputs": 4,
    "apps": 5,
    "face": 6,  # planner/__init__.py and __main__.py
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _group(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "face"
    return parts[1] if parts[1] in FLOORS else "ground"


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imports() -> dict[str, set[str]]:
    """Every planner module and the planner modules it imports (anywhere in the file)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        found[name] = {t for t in targets if t in modules and t != name}
    assert len(found) > 20 and found["planner.analysis.coverage"], "planner/ not found"
    return found


def test_imports_run_down_the_stages_only():
    wrong = [f"{source} -> {target}" for source, targets in _imports().items()
             for target in targets
             if _group(source) != _group(target)
             and FLOORS[_group(target)] >= FLOORS[_group(source)]]
    assert wrong == [], "imports that reach up or sideways: " + ", ".join(sorted(wrong))


def test_no_import_cycles():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph[node]):
            if target.startswith(node + "."):
                continue  # a package importing its own modules is not a loop
            if state.get(target) == 1:
                return path + [target]
            if target not in state and (loop := visit(target, path + [target])):
                return loop
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            loop = visit(start, [start])
            assert loop is None, "import cycle: " + " -> ".join(loop)
