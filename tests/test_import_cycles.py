"""No module of Facet imports itself back, directly or through other modules or a package ``__init__``
(scripts/check_import_cycles.py; scripts/lint.sh also runs it before the tests)."""

from __future__ import annotations

import networkx as nx

from scripts.check_import_cycles import cycles, import_graph


def test_a_cycle_through_a_package_init_is_found():
    g = nx.DiGraph(
        [
            ("editors", "editors.cartoon"),
            ("editors.cartoon", "editors"),
            ("editors.cartoon", "core.types"),
            ("studio.session", "studio.layers"),
            ("studio.layers", "core.types"),
        ]
    )
    assert cycles(g) == [["editors", "editors.cartoon", "editors"]]
    g.add_edge("studio.layers", "studio.session")  # a lazy import back counts too
    assert cycles(g) == [
        ["editors", "editors.cartoon", "editors"],
        ["studio.layers", "studio.session", "studio.layers"],
    ]


def test_facet_has_no_import_cycles():
    g = import_graph()
    assert {"core.types", "studio.session", "editors.registry", "segmenters.registry", "app.cli"} <= set(g.nodes)
    assert g.has_edge("editors.texture", "editors.registry") and g.has_edge("editors", "editors.texture")
    assert cycles(g) == []
