"""The package's layering, read from its source: one direction of dependency, no cycles.

``layers`` → ``mobility`` → ``maps`` / ``reports`` → ``api`` → ``cli``: a module may import
modules of its own level or below, never above. Every import counts, also those inside
functions (a lazy import hides a cycle, it does not remove it); imports under
``if TYPE_CHECKING:`` are annotations only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent

LEVELS = {
    "geoquartier": 0,
    "geoquartier.errors": 0,
    "geoquartier.vocabulary": 0,
    "geoquartier.settings": 0,
    "geoquartier.config": 0,
    "geoquartier.layers": 1,
    "geoquartier.registry": 1,
    "geoquartier.registry_edit": 1,
    "geoquartier.importer": 1,
    "geoquartier.mobility": 2,
    "geoquartier.maps": 3,
    "geoquartier.reports": 4,
    "api": 5,
    "geoquartier.cli": 6,
    "geoquartier.__main__": 6,
}
"""Level of each part of the package (the longest matching prefix of a module name)."""


def _level(module: str) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        level = LEVELS.get(".".join(parts[:n]))
        if level is not None:
            return level
    return None


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return hidden


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if _level(name) is not None}


def _graph() -> nx.DiGraph:
    files = sorted(ROOT.glob("geoquartier/**/*.py")) + sorted(ROOT.glob("api/**/*.py"))
    modules = {_module_name(f): f for f in files}
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(path):
            # "from pkg import mod" names a module; "from mod import func" names the module
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


def test_the_package_was_read():
    graph = _graph()
    assert graph.number_of_nodes() > 80 and graph.number_of_edges() > 150
    assert graph.has_edge("geoquartier.mobility.sources", "geoquartier.mobility.network")


def test_no_module_imports_a_higher_level():
    upward = [
        (source, target)
        for source, target in _graph().edges
        if _level(target) > _level(source)
    ]
    assert upward == []


def test_no_import_cycles():
    cycles = []
    for component in nx.strongly_connected_components(_graph()):
        if len(component) > 1:
            cycles.append(sorted(component))
    # a package's __init__ re-exporting its modules is not a cycle of logic
    cycles = [c for c in cycles if not _only_package_reexports(c)]
    assert cycles == []


def _only_package_reexports(component: list[str]) -> bool:
    graph = _graph().subgraph(component).copy()
    for source, target in list(graph.edges):
        if target.startswith(source + "."):  # a package importing its own module
            graph.remove_edge(source, target)
    return nx.is_directed_acyclic_graph(graph)
