"""The project's import graph (rag/ and ui/, read with ast, imports inside functions included) has no cycle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rag", "ui")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module → the project modules it imports (a `from pkg import name` counts `pkg.name` when that is a module)."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in files and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path of module names, or None (depth-first search with three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_finds_a_cycle_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_graph_sees_the_project_modules():
    graph = import_graph()
    assert "rag.answer.answerer" in graph["rag.cli.answer_cmds"]


def test_project_imports_have_no_cycle():
    assert find_cycle(import_graph()) is None


# The pipeline's stages in order: a module may import its own stage and the ones before it, never a
# later one. "base" is the shared records and text rules at rag/'s top level; rag.__main__ is the CLI.
STAGES = ["base", "rag.parse", "rag.units", "rag.ingest.chunk", "rag.store", "rag.ingest", "rag.retrieve",
          "rag.answer", "rag.library", "rag.eval", "rag.cli", "ui"]


def _stage(module: str) -> int:
    """The index in STAGES of the longest stage prefix naming `module` (0: base)."""
    module = "rag.cli" if module == "rag.__main__" else module
    named = [(len(s), i) for i, s in enumerate(STAGES) if i and (module == s or module.startswith(s + "."))]
    return max(named)[1] if named else 0


def test_imports_follow_the_pipeline():
    """Imports read as arrows: no module imports a later stage (the CLI's `serve` starts the app)."""
    upward = sorted(f"{m} → {t}" for m, targets in import_graph().items() for t in targets
                    if _stage(t) > _stage(m) and not (m == "rag.cli.ui_cmds" and t.startswith("ui")))
    assert upward == []
