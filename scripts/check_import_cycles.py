"""Fail when Facet's own modules import each other in a cycle (exit 1, naming every cycle).

import-linter's contracts (pyproject.toml) keep the layers and forbid cycles between sibling modules; this also
catches a package ``__init__`` whose modules import it back (e.g. a registry kept in ``editors/__init__.py``
that every editor imports). Imports inside functions count too: a lazy import is still a dependency.

    .venv/bin/python scripts/check_import_cycles.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "studio", "editors", "segmenters", "faces", "core")


def import_graph(packages: tuple[str, ...] = PACKAGES) -> nx.DiGraph:
    """Module -> module imports among ``packages`` (grimp reads the source; nothing is imported)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*packages, cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        g.add_node(module)
        g.add_edges_from((module, imported) for imported in graph.find_modules_directly_imported_by(module))
    return g


def cycles(g: nx.DiGraph) -> list[list[str]]:
    """Each group of modules that import each other (a strongly connected component of 2+), with one shortest
    cycle through it, so the message says which imports to break."""
    out = []
    for group in nx.strongly_connected_components(g):
        if len(group) < 2:
            continue
        start = min(group)
        sub = g.subgraph(group)
        back = min((nx.shortest_path(sub, nxt, start) for nxt in sub.successors(start)), key=len)
        out.append([start, *back])
    return sorted(out)


def main() -> int:
    found = cycles(import_graph())
    for cycle in found:
        print("import cycle: " + " -> ".join(cycle), file=sys.stderr)
    if found:
        return 1
    print(f"no import cycles among {', '.join(PACKAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
