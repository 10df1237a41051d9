"""Project-wide resolution, the call graph and effect propagation."""
from __future__ import annotations

import pytest

from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.project import FunctionRef, Project
from tests.facts_helpers import CATALOGS, facts_of, project_of

PY_PROJECT = {
    "app/__init__.py": "from .services.payments import charge as charge_card\n",
    "app/db.py": """
        from sqlalchemy.orm import sessionmaker
        SessionLocal = sessionmaker()
    """,
    "app/services/__init__.py": "",
    "app/services/payments.py": """
        import requests

        def _post(url):
            return requests.post(url, timeout=5)

        def charge(token):
            return _post("https://pay/" + token)

        class Client:
            def __init__(self):
                self.session = requests.Session()

            def fetch(self, url):
                return self.session.get(url)

            def sync(self):
                return self.fetch("u")
    """,
    "app/routes.py": """
        import app
        from .db import SessionLocal
        from .services import payments as p

        async def pay(token):
            app.charge_card(token)
            with SessionLocal() as db:
                db.execute("select 1")
            client = p.Client()
            client.sync()
    """,
}


def names(project: Project, refs) -> list[str]:
    return [project.display_name(ref) for ref in refs]


def test_values_resolve_across_modules_and_reexports():
    project = project_of(PY_PROJECT)
    facts = project.files["app/routes.py"]
    execute = next(c for c in facts.calls if c.callee.text.endswith("execute"))
    resolved = project.resolve(execute.callee, facts.path, execute.func)
    assert resolved.text == "sqlalchemy.orm.sessionmaker()().execute"
    charge = next(c for c in facts.calls if c.callee.text == "app.charge_card")
    assert project.function(charge.callee, facts.path, charge.func) == FunctionRef("app/services/payments.py", 2)


def test_self_attributes_and_instance_methods_resolve():
    project = project_of(PY_PROJECT)
    payments = project.files["app/services/payments.py"]
    get = next(c for c in payments.calls if c.callee.text == "self.session.get")
    assert project.resolve(get.callee, payments.path, get.func).text == "requests.Session().get"
    routes = project.files["app/routes.py"]
    sync = next(c for c in routes.calls if c.callee.text.endswith("sync"))
    ref = project.function(sync.callee, routes.path, sync.func)
    assert project.display_name(ref) == "Client.sync"


def test_blocking_effect_propagates_with_shortest_witness():
    project = project_of(PY_PROJECT)
    graph = CallGraph(project, CATALOGS)
    pay = FunctionRef("app/routes.py", 1)
    charge = FunctionRef("app/services/payments.py", 2)
    (site,) = graph.reach(charge, "blocking")
    assert site.label == "requests.post"
    hops = graph.witness(charge, site)
    assert names(project, [h.function for h in hops]) == ["charge", "_post"]
    reach = {site.label: dist for site, (dist, _edge) in graph.reach(pay, "blocking").items()}
    assert reach == {"requests.post": 2, "SessionLocal().execute": 0, "self.session.get": 2}


def test_recursion_and_import_cycles_terminate():
    project = project_of({
        "a.py": "import b\n\ndef f(n):\n    return b.g(n - 1) if n else open('x')\n",
        "b.py": "import a\n\ndef g(n):\n    return a.f(n)\n\ndef h():\n    return h()\n",
    })
    graph = CallGraph(project, CATALOGS)
    f, g = FunctionRef("a.py", 1), FunctionRef("b.py", 1)
    assert [s.label for s in graph.reach(g, "blocking")] == ["open"]
    assert [s.label for s in graph.reach(f, "blocking")] == ["open"]
    assert graph.reach(FunctionRef("b.py", 2), "blocking") == {}


def _snapshot(graph: CallGraph) -> dict:
    out = {}
    for node in graph.graph.nodes:
        for kind in graph.kinds:
            reach = graph.reach(node, kind.name)
            if reach:
                out[(node, kind.name)] = sorted((s.path, s.call, s.label, d) for s, (d, _e) in reach.items())
    edges = sorted((e.caller.path, e.caller.id, e.callee.path, e.callee.id, e.call, e.how)
                   for node in graph.graph.nodes for e in graph.out_edges(node))
    return {"reach": out, "edges": edges}


def test_replacing_a_file_equals_a_fresh_build():
    before = dict(PY_PROJECT)
    graph = CallGraph(project_of(before), CATALOGS)
    changed = dict(before)
    changed["app/services/payments.py"] = """
        import httpx

        async def _post(url):
            async with httpx.AsyncClient() as client:
                return await client.post(url)

        def charge(token):
            return token

        class Client:
            def fetch(self, url):
                return open(url)

            def sync(self):
                return self.fetch("u")
    """
    new_facts = facts_of(changed)
    graph.replace_file(new_facts["app/services/payments.py"])
    fresh = CallGraph(Project(new_facts), CATALOGS)
    assert _snapshot(graph) == _snapshot(fresh)
    charge = FunctionRef("app/services/payments.py", 2)
    assert graph.reach(charge, "blocking") == {}


def test_js_calls_resolve_through_reexports_and_require():
    project = project_of({
        "src/lib/index.js": "export { render } from './render';\n",
        "src/lib/render.js": "import fs from 'fs';\nexport function render() { return fs.readFileSync('t'); }\n",
        "src/cjs.js": "const lib = require('./lib');\nasync function go() { return lib.render(); }\n"
                      "module.exports = { go };\n",
    })
    graph = CallGraph(project, CATALOGS)
    go = FunctionRef("src/cjs.js", 1)
    (edge,) = [e for e in graph.out_edges(go) if e.how == "call"]
    assert project.display_name(edge.callee) == "render"
    assert [s.label for s in graph.reach(edge.callee, "blocking")] == ["fs.readFileSync"]


def _rule_examples() -> list[tuple[str, dict[str, str]]]:
    """Every rule example's source files (without `package.json` and other inputs)."""
    from perfsense.scanner.engine.registry import rule_classes
    from perfsense.scanner.source import language_of

    return [(f"{cls.id}:{i}", {path: text for path, text in example.sources().items() if language_of(path)})
            for cls in rule_classes() for i, example in enumerate((*cls.invalid, *cls.valid))]


def test_each_kind_detects_a_whole_file_as_it_detects_call_by_call():
    """`EffectKind.detect_file` (a whole build) narrows the calls to ask; it must give what
    `detect` gives call by call (an edit's path) on every file of every rule example."""
    from perfsense.scanner.effects import effect_kinds

    kinds = effect_kinds()
    seen: dict[str, int] = {kind.name: 0 for kind in kinds}
    for name, files in _rule_examples():
        project = Project(facts_of(files))
        for facts in project.files.values():
            assert all(call.id == index for index, call in enumerate(facts.calls))
            for kind in kinds:
                one_by_one = {call.id: labels for call in facts.calls
                              if (labels := tuple(kind.detect(project, facts, call, CATALOGS)))}
                assert dict(kind.detect_file(project, facts, CATALOGS)) == one_by_one, (name, facts.path, kind.name)
                seen[kind.name] += len(one_by_one)
    assert all(seen.values()), seen  # every kind had sites to compare


# A helper with callers in several functions and files, one of them nested in another and
# calling first: the order of a function's callers follows the build, not the questions.
CALLERS = {
    "app/__init__.py": "",
    "app/util.py": "def helper(path):\n    return open(path)\n",
    "app/a.py": """
        from app import util

        def outer():
            def inner():
                return util.helper("i")
            util.helper("o")
            return inner

        def first():
            return util.helper("f")
    """,
    "app/b.py": """
        from app.util import helper

        async def go():
            helper("g")
            return [helper(p) for p in ("x", "y")]
    """,
}


def _answers(graph: CallGraph, refs, kinds) -> list:
    """Each function's out-edges (in order), inline in-edges, reach (sites, distances and
    first edges, in order) and witnesses."""
    out = []
    for ref in refs:
        out.append((ref, "edges", graph.out_edges(ref), graph.inline_edges_into(ref)))
        for kind in kinds:
            reach = list(graph.reach(ref, kind).items())
            out.append((ref, kind, reach, [graph.witness(ref, site) for site, _entry in reach]))
    return out


def test_a_lazy_graph_answers_as_the_eager_one_in_any_order_of_questions():
    """A scan's graph resolves, detects and propagates only where it is asked; its answers
    (out-edges, callers and reach in order, witness edges) are the eager build's, on every
    rule example and a project with several callers, asked in three orders."""
    examples = [("callgraph", PY_PROJECT), ("callers", CALLERS), *_rule_examples()]
    compared = 0
    for name, files in examples:
        facts = facts_of(files)
        eager = CallGraph(Project(dict(facts)), CATALOGS)
        kinds = [kind.name for kind in eager.kinds]
        refs = sorted(eager.graph.nodes)
        expected = _answers(eager, refs, kinds)
        for order in (refs, refs[::-1], refs[len(refs) // 2:] + refs[:len(refs) // 2]):
            lazy = CallGraph(Project(dict(facts)), CATALOGS, lazy=True)
            questions = ["edges", *kinds]
            answers = sorted(_answers(lazy, order, kinds),
                             key=lambda entry: (refs.index(entry[0]), questions.index(entry[1])))
            assert answers == expected, (name, order[0])
            assert [lazy.in_edges(ref) for ref in order] == [eager.in_edges(ref) for ref in order], name
        compared += sum(1 for entry in expected if entry[2])
    assert compared > 50, compared  # the examples reach effects: the comparison is not empty


def test_inline_edges_into_a_callback_are_its_inline_in_edges():
    for name, files in [("callgraph", PY_PROJECT), *_rule_examples()]:
        graph = CallGraph(Project(facts_of(files)), CATALOGS)
        for ref in graph.graph.nodes:
            assert graph.inline_edges_into(ref) == [e for e in graph.in_edges(ref) if e.how == "inline"], name


def test_a_lazy_graph_resolves_and_detects_only_below_what_it_is_asked():
    graph = CallGraph(project_of(PY_PROJECT), CATALOGS, lazy=True)
    pay, charge = FunctionRef("app/routes.py", 1), FunctionRef("app/services/payments.py", 2)
    assert graph.direct == {} and graph.graph.edge_count == 0
    assert [edge.callee for edge in graph.out_edges(charge)] == [FunctionRef("app/services/payments.py", 1)]
    assert graph.graph.edge_count == 1
    assert [s.label for s in graph.reach(charge, "blocking")] == ["requests.post"]
    assert {ref.path for ref in graph.direct} == {"app/services/payments.py"}
    assert {s.label for s in graph.reach(pay, "blocking")} == {"requests.post", "SessionLocal().execute",
                                                               "self.session.get"}
    assert "app/routes.py" in {ref.path for ref in graph.direct}


def test_editing_a_lazy_graph_equals_a_fresh_build():
    """The language server edits a complete graph: a lazy one is completed first."""
    graph = CallGraph(project_of(PY_PROJECT), CATALOGS, lazy=True)
    charge = FunctionRef("app/services/payments.py", 2)
    assert graph.reach(charge, "blocking")
    changed = dict(PY_PROJECT, **{"app/services/payments.py": "def charge(token):\n    return token\n"})
    new_facts = facts_of(changed)
    graph.replace_file(new_facts["app/services/payments.py"])
    assert _snapshot(graph) == _snapshot(CallGraph(Project(new_facts), CATALOGS))
    assert graph.reach(FunctionRef("app/services/payments.py", 1), "blocking") == {}


class _FailsOnce:
    """An effect kind that raises the first time it is asked about a file (a rule's deadline
    or a detector's bug in the middle of settling a lazy graph)."""

    def __init__(self, kind) -> None:
        self.kind, self.failed = kind, False

    def __getattr__(self, name: str):
        return getattr(self.kind, name)

    def detect_file(self, project, facts, catalogs):
        if not self.failed:
            self.failed = True
            raise TimeoutError("deadline")
        return self.kind.detect_file(project, facts, catalogs)


def test_a_lazy_graph_interrupted_while_settling_answers_correctly_afterwards():
    from perfsense.scanner.effects import effect_kinds

    kinds = effect_kinds()
    last = len(kinds) - 1  # (the kinds before it have detected their part when it fails)
    flaky = [*kinds[:last], _FailsOnce(kinds[last])]
    lazy = CallGraph(project_of(PY_PROJECT), CATALOGS, kinds=flaky, lazy=True)
    eager = CallGraph(project_of(PY_PROJECT), CATALOGS)
    pay = FunctionRef("app/routes.py", 1)
    with pytest.raises(TimeoutError):
        lazy.reach(pay, "blocking")
    refs = sorted(eager.graph.nodes)
    names = [kind.name for kind in kinds]
    assert _answers(lazy, refs, names) == _answers(eager, refs, names)
