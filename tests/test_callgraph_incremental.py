"""CallGraph.replace_file / remove_file (what the LSP server does on every edit) must leave
the graph exactly as a fresh build of the same facts would be, whichever path they take:
same-shape edits (only the file's own calls re-resolved, reach re-propagated from there),
shape changes (importers and callers re-resolved), removals, chains of callers."""
from __future__ import annotations

import textwrap

import pytest

from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.project import FunctionRef, Project, file_shape
from tests.facts_helpers import CATALOGS, facts_of
from tests.test_callgraph import _snapshot

BASE = {
    "app/__init__.py": "",
    "app/low.py": """
        import requests

        def fetch(url):
            return requests.get(url, timeout=5)

        def pure(x):
            return x + 1
    """,
    "app/mid.py": """
        from app import low

        def load(url):
            # one level up
            return low.fetch(url)

        def spin(n):
            return spin(n - 1) if n else low.pure(n)
    """,
    "app/top.py": """
        from app.mid import load, spin

        async def handler(url):
            data = load(url)
            spin(3)
            return data

        async def other():
            return [load(u) for u in ("a", "b")]
    """,
    "web/lib.js": "const fs = require('fs');\nfunction read(p) { return fs.readFileSync(p); }\nmodule.exports = { read };\n",
    "web/app.js": "const { read } = require('./lib');\nasync function go() { return read('x'); }\n",
}

EDITS = [
    ("app/mid.py", """
        from app import low

        def load(url):
            # a comment moved everything down a line

            return low.fetch(url)

        def spin(n):
            return spin(n - 1) if n else low.pure(n)
    """, True),
    ("app/mid.py", """
        from app import low

        def load(url):
            return low.pure(url)

        def spin(n):
            return spin(n - 1) if n else low.fetch(n)
    """, True),
    ("app/low.py", """
        import requests

        def fetch(url):
            return url

        def pure(x):
            return requests.post(x)
    """, True),
    ("app/low.py", """
        import requests

        def helper():
            return 1

        def fetch(url):
            return requests.get(url, timeout=5)

        def pure(x):
            return helper()
    """, False),
    ("app/mid.py", """
        from app import low

        async def load(url):
            return low.fetch(url)

        def spin(n):
            return spin(n - 1) if n else low.pure(n)
    """, False),
    ("app/top.py", """
        from app.mid import load

        async def handler(url):
            return load(url)
    """, False),
    ("web/lib.js", ("const fs = require('fs');\nfunction read(p) { return fs.promises.readFile(p); }\n"
                    "module.exports = { read };\n"), True),
    ("web/lib.js", ("const fs = require('fs');\nfunction read(p) { return p; }\nfunction other() {}\n"
                    "module.exports = { read, other };\n"), False),
]


def test_each_edit_leaves_what_a_fresh_build_gives():
    files = dict(BASE)
    facts = facts_of(files)
    graph = CallGraph(Project(dict(facts)), CATALOGS)
    for path, text, same_shape in EDITS:
        before = facts[path]
        files[path] = text
        facts = facts_of(files)
        assert (file_shape(before) == file_shape(facts[path])) is same_shape, path
        graph.replace_file(facts[path])
        assert _snapshot(graph) == _snapshot(CallGraph(Project(dict(facts)), CATALOGS)), (path, text)


def test_callers_of_callers_keep_their_edges():
    """Re-resolving an importer must not lose the edges into it from further up."""
    facts = facts_of(BASE)
    graph = CallGraph(Project(dict(facts)), CATALOGS)
    changed = dict(BASE, **{"app/low.py": "import requests\n\ndef fetch(url):\n    return requests.get(url)\n\n"
                                          "def pure(x):\n    return x\n\ndef extra():\n    return 0\n"})
    new = facts_of(changed)
    graph.replace_file(new["app/low.py"])
    assert _snapshot(graph) == _snapshot(CallGraph(Project(dict(new)), CATALOGS))
    handler = FunctionRef("app/top.py", 1)
    assert {s.label for s in graph.reach(handler, "blocking")} == {"requests.get"}


@pytest.mark.parametrize("path", ["app/low.py", "app/mid.py", "web/lib.js"])
def test_removing_a_file_equals_a_fresh_build(path: str):
    facts = facts_of(BASE)
    graph = CallGraph(Project(dict(facts)), CATALOGS)
    graph.remove_file(path)
    rest = {p: f for p, f in facts.items() if p != path}
    assert _snapshot(graph) == _snapshot(CallGraph(Project(rest), CATALOGS))
    graph.replace_file(facts[path])  # and back
    assert _snapshot(graph) == _snapshot(CallGraph(Project(dict(facts)), CATALOGS))


def test_a_same_shape_edit_recomputes_only_what_changed():
    facts = facts_of(BASE)
    graph = CallGraph(Project(dict(facts)), CATALOGS)
    handler = FunctionRef("app/top.py", 1)
    kept = graph.reach(handler, "blocking")
    files = dict(BASE, **{"app/top.py": BASE["app/top.py"].replace("data = load(url)", "data = load(url)  # ok")})
    graph.replace_file(facts_of(files)["app/top.py"])
    other = FunctionRef("app/mid.py", 1)
    assert graph.reach(other, "blocking") is not None
    assert graph.reach(handler, "blocking") == kept


def test_components_come_callees_first_and_match_networkx():
    import random

    import networkx as nx

    from perfsense.scanner.callgraph import _components

    rng = random.Random(7)
    for _ in range(30):
        graph = nx.MultiDiGraph()
        nodes = [FunctionRef(f"f{i % 3}.py", i) for i in range(40)]
        graph.add_nodes_from(nodes)
        for _ in range(rng.randint(0, 90)):
            graph.add_edge(rng.choice(nodes), rng.choice(nodes))
        subset = set(rng.sample(nodes, 30))
        found = _components(lambda node: graph.succ[node], subset)
        expected = {frozenset(c) for c in nx.strongly_connected_components(graph.subgraph(subset))}
        assert {frozenset(c) for c in found} == expected
        position = {node: i for i, component in enumerate(found) for node in component}
        for a, b in graph.subgraph(subset).edges():
            assert position[b] <= position[a]  # a callee's component never comes after its caller's


def test_shape_derived_structures_survive_same_shape_edits_only():
    facts = facts_of(BASE)
    project = Project(dict(facts))
    built = []
    project.derived("t:shape", lambda p: built.append("shape") or len(built), shape=True)
    project.derived("t:facts", lambda p: built.append("facts") or len(built))
    body_edit = dict(BASE, **{"app/top.py": BASE["app/top.py"].replace("spin(3)", "spin(4)")})
    project.replace_file(facts_of(body_edit)["app/top.py"], same_shape=True)
    project.derived("t:shape", lambda p: built.append("shape") or len(built), shape=True)
    project.derived("t:facts", lambda p: built.append("facts") or len(built))
    assert built == ["shape", "facts", "facts"]
    project.replace_file(facts["app/top.py"])  # shape not known to be the same
    project.derived("t:shape", lambda p: built.append("shape") or len(built), shape=True)
    assert built[-1] == "shape"


def test_per_file_memos_last_until_their_file_or_any_file_changes():
    """`per_file`: until that file changes; `derived_per_file`: until any file changes."""
    facts = facts_of(BASE)
    project = Project(dict(facts))
    built: list[tuple[str, str]] = []

    def ask() -> None:
        for path in ("app/low.py", "app/top.py"):
            project.per_file("t:own", project.files[path], lambda f: built.append(("own", f.path)))
            project.derived_per_file("t:any", project.files[path], lambda f: built.append(("any", f.path)))

    ask()
    ask()
    assert len(built) == 4
    body_edit = dict(BASE, **{"app/top.py": BASE["app/top.py"].replace("spin(3)", "spin(4)")})
    project.replace_file(facts_of(body_edit)["app/top.py"], same_shape=True)
    ask()
    assert built[4:] == [("any", "app/low.py"), ("own", "app/top.py"), ("any", "app/top.py")]


def test_every_propagation_makes_a_new_reach_table():
    """Rules cache per propagation on the identity of the table (memory-leak's `repeated`)."""
    facts = facts_of(BASE)
    graph = CallGraph(Project(dict(facts)), CATALOGS)
    before = graph._reach
    files = dict(BASE, **{"app/top.py": BASE["app/top.py"].replace("spin(3)", "spin(4)")})
    graph.replace_file(facts_of(files)["app/top.py"])
    assert graph._reach is not before


def test_adjacency_matches_networkx_multidigraph_edge_for_edge_and_in_order():
    """The call graph's plain-dict storage gives the edges networkx's MultiDiGraph gives,
    in the same order, through additions, node removals and cleared out-edges."""
    import random
    from dataclasses import dataclass

    import networkx as nx

    from perfsense.scanner.adjacency import Adjacency

    @dataclass(frozen=True)
    class E:
        caller: int
        callee: int
        n: int

    rng = random.Random(11)
    for _ in range(20):
        mine, theirs = Adjacency(), nx.MultiDiGraph()
        for step in range(300):
            action = rng.random()
            if action < 0.7:
                edge = E(rng.randrange(25), rng.randrange(25), step)
                mine.add_edge(edge)
                theirs.add_edge(edge.caller, edge.callee, edge=edge)
            elif action < 0.85:
                nodes = rng.sample(range(25), 2)
                mine.remove_nodes(nodes)
                theirs.remove_nodes_from(nodes)
            else:
                node = rng.randrange(25)
                mine.clear_out_edges(node)
                if node in theirs:
                    theirs.remove_edges_from(list(theirs.out_edges(node, keys=True)))
            for node in range(25):
                assert (node in mine) == (node in theirs)
                if node in theirs:
                    assert mine.out_edges(node) == [d["edge"] for _a, _b, d in theirs.out_edges(node, data=True)]
                    assert mine.in_edges(node) == [d["edge"] for _a, _b, d in theirs.in_edges(node, data=True)]
                    assert list(mine.predecessors(node)) == list(theirs.predecessors(node))
            assert (len(mine), mine.edge_count) == (theirs.number_of_nodes(), theirs.number_of_edges())


REPEATING = {
    "web/jobs.js": ("const { track, warm } = require('./track');\n"
                    "function tick() { track('t'); }\n"
                    "setInterval(tick, 1000);\n"
                    "function all(items) { for (const i of items) { warm(i); } }\n"
                    "module.exports = { all };\n"),
    "web/track.js": ("const seen = new Map();\n"
                     "function track(k) { seen.set(k, Date.now()); note(k); }\n"
                     "function note(k) { return k; }\n"
                     "function warm(k) { return seen.get(k); }\n"
                     "module.exports = { track, warm };\n"),
}
REPEATING_EDITS = [
    ("web/jobs.js", REPEATING["web/jobs.js"].replace("warm(i)", "track(i)")),  # same shape, other edge
    ("web/track.js", REPEATING["web/track.js"].replace("note(k); }", "}\nfunction extra() { note(1); }")),
    ("web/jobs.js", REPEATING["web/jobs.js"].replace("setInterval(tick, 1000);\n", "")),
    ("web/track.js", REPEATING["web/track.js"]),
]


def _repeated(graph: CallGraph) -> dict:
    from perfsense.rules.memory_leak.context import repeated

    return {ref: (r.why, r.text, r.via, r.call) for ref, r in repeated(graph).items()}


def test_repeated_code_after_each_edit_is_what_a_fresh_build_gives():
    """The memory-leak rules' "repeated code" keeps each file's part on the graph until the
    file's facts or its call edges change: after every edit it must equal a fresh build's."""
    files = dict(REPEATING)
    graph = CallGraph(Project(dict(facts_of(files))), CATALOGS)
    first = _repeated(graph)
    assert FunctionRef("web/track.js", 1) in first  # track(): a callback of setInterval's `tick`
    seen = [first]
    for path, text in REPEATING_EDITS:
        files[path] = text
        facts = facts_of(files)
        graph.replace_file(facts[path])
        fresh = _repeated(CallGraph(Project(dict(facts)), CATALOGS))
        assert _repeated(graph) == fresh, path
        seen.append(fresh)
    assert len({tuple(sorted(map(repr, s.items()))) for s in seen}) >= 3  # the edits did change it
    graph.remove_file("web/track.js")
    assert _repeated(graph) == _repeated(CallGraph(Project({"web/jobs.js": facts["web/jobs.js"]}), CATALOGS))


# --- edits inside one function, with the language server's hint ---------------------------
HINTED = {
    "shop/__init__.py": "",
    "shop/models.py": """
        from django.db import models

        class Order(models.Model):
            customer = models.ForeignKey("Customer", on_delete=models.CASCADE)
    """,
    "shop/views.py": """
        import time
        import requests
        from shop.models import Order

        def fetch(url):
            return requests.get(url, timeout=5)

        def lookup(key):
            return finder(id=key)

        class Page:
            def load(self, url):
                time.sleep(1)
                return fetch(url)

            def other(self):
                return [Order.objects.get(id=i) for i in range(3)]

        async def view(request):
            page = Page()
            return page.load(request.url), lookup(1)

        def setup():
            return 0
    """,
    "web/widget.js": """
        import React from 'react';
        export class Widget extends React.Component {
          componentDidMount() {
            window.addEventListener('resize', this.onResize);
            setInterval(() => this.tick(), 1000);
          }
          componentWillUnmount() {
            this.done = true;
          }
          render() { return null; }
        }
    """,
}

# (path, old text, new text): each edit stays inside one function
HINTED_EDITS = [
    ("shop/views.py", "    return requests.get(url, timeout=5)", "    requests.post(url)\n    return requests.get(url, timeout=5)"),
    ("shop/views.py", "        time.sleep(1)\n", "        # slept here once\n"),
    ("shop/views.py", "        time.sleep(1)\n", "        time.sleep(1)\n        time.sleep(2)\n"),
    ("shop/views.py", "    return 0", "    finder = Order.objects.filter\n    return finder"),  # binds a query alias
    ("shop/views.py", "        return [Order.objects.get(id=i) for i in range(3)]", "        return []"),
    ("web/widget.js", "    this.done = true;", "    this.done = true;\n    window.removeEventListener('resize', this.onResize);"),
    ("web/widget.js", "  render() { return null; }", "  render() { console.log('bye'); return null; }"),
]


def _full_snapshot(graph: CallGraph) -> dict:
    """Everything a fresh build fixes, in order: direct sites, out-edges, reach."""
    nodes = sorted(graph.graph.nodes)
    return {
        "direct": {node: list(graph.direct.get(node, ())) for node in nodes if graph.direct.get(node)},
        "edges": {node: [(e.callee, e.call, e.how, e.offloaded) for e in graph.out_edges(node)] for node in nodes},
        "reach": _snapshot(graph)["reach"],
    }


@pytest.mark.parametrize("index", range(len(HINTED_EDITS)))
def test_edits_with_the_untouched_hint_equal_a_fresh_build(index: int):
    from perfsense.scanner.source import SourceFile, language_of
    from perfsense.scanner.untouched import untouched_functions

    path, old, new = HINTED_EDITS[index]
    files = {p: textwrap.dedent(t).lstrip("\n") for p, t in HINTED.items()}
    facts = facts_of(files)
    graph = CallGraph(Project(dict(facts)), CATALOGS)
    texts = [files[path]]
    for step in range(3):  # the edit, its undo, the edit again (the first sets up the hint)
        text = texts[-1].replace(old, new) if step % 2 == 0 else files[path]
        assert text != texts[-1], "the edit must apply"
        changed = dict(files, **{path: text})
        new_facts = facts_of(changed)
        lang = language_of(path)
        untouched = untouched_functions(SourceFile(path, texts[-1], lang), facts[path], SourceFile(path, text, lang),
                                        new_facts[path])
        if index != 3:  # a new binding in `setup` still leaves every other function untouched
            assert untouched, "the hint must name the untouched functions"
        assert file_shape(new_facts[path]) == file_shape(facts[path])  # (else the hint is not used)
        graph.replace_file(new_facts[path], untouched)
        assert _full_snapshot(graph) == _full_snapshot(CallGraph(Project(dict(new_facts)), CATALOGS)), (step, text)
        facts, texts = new_facts, [*texts, text]
