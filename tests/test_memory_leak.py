"""Focused tests of the memory-leak family: handles, chains, where findings land."""
from __future__ import annotations

import textwrap

from perfsense.rules.memory_leak.leakfacts import leak_facts
from perfsense.rules.memory_leak.records import DISCARDED, ESCAPED, LOCAL, MANAGED, MEMBER
from tests.facts_helpers import facts_of
from tests.helpers import scan_tree, write_tree


def _scan(tmp_path, files: dict[str, str]):
    write_tree(tmp_path, {p: textwrap.dedent(t).lstrip("\n") for p, t in files.items()})
    return scan_tree(tmp_path).findings


def _acquisitions(path: str, code: str):
    facts = facts_of({path: code})[path]
    return {facts.calls[a.call].span.start.line + 1: a for a in leak_facts(facts).acquisitions}


def test_handles_in_javascript():
    found = _acquisitions("a.js", """
        function f(el, emitter) {
          setInterval(tick, 10);
          const id = setInterval(tick, 10);
          this.t = setInterval(tick, 10);
          emitter.on('x', tick, { once: true });
          el.addEventListener('y', tick, { signal: ctl.signal });
          return setInterval(tick, 10);
        }
        function g() {
          const id = setInterval(tick, 10);
          return () => clearInterval(id);
        }
        function tick() {}
    """)
    assert found[2].handle == DISCARDED and found[2].leaks
    assert found[3].handle == LOCAL and found[3].leaks
    assert found[4].handle == MEMBER and found[4].leaks
    assert found[5].self_releasing and found[6].self_releasing
    assert found[7].handle == ESCAPED and not found[7].leaks
    assert found[10].handle == LOCAL and found[10].released and not found[10].leaks


def test_handles_in_python():
    found = _acquisitions("a.py", """
        import csv
        import requests

        def f(path, rows):
            with open(path) as fh:
                fh.read()
            out = open(path, "a")
            csv.writer(out).writerows(rows)
            kept = open(path)
            return kept

        def g(url):
            s = requests.Session()
            try:
                return s.get(url)
            finally:
                s.close()
    """)
    assert found[5].handle == MANAGED and not found[5].leaks
    assert found[7].handle == LOCAL and found[7].leaks
    assert found[9].escaped and not found[9].leaks
    assert found[13].released and not found[13].leaks


def test_interval_through_exported_helper_is_reported_at_the_call_with_its_chain(tmp_path):
    findings = _scan(tmp_path, {
        "lib/tracker.js": """
            function track(onTick) {
              setInterval(onTick, 1000);
            }
            module.exports = { track };
        """,
        "routes.js": """
            const router = require('express').Router();
            const { track } = require('./lib/tracker');

            router.get('/progress', (req, res) => {
              track(() => res.write('.'));
            });
            module.exports = router;
        """,
    })
    hits = [f for f in findings if f.rule_id == "interval-started-per-request"]
    assert [(f.location.path, f.location.span.start.line + 1) for f in hits] == [("routes.js", 5)]
    chain = [(step.location.path, step.location.span.start.line + 1) for step in hits[0].chain]
    assert ("lib/tracker.js", 2) in chain
    assert "request handler" in hits[0].message


def test_effect_helper_chain_and_no_per_request_duplicate(tmp_path):
    findings = _scan(tmp_path, {
        "src/poll.js": """
            export function poll(load) {
              setInterval(load, 5000);
            }
        """,
        "src/List.jsx": """
            import { useEffect } from 'react';
            import { poll } from './poll';

            export function List({ load }) {
              useEffect(() => {
                poll(load);
              }, [load]);
              return <ul />;
            }
        """,
    })
    assert [(f.rule_id, f.location.path, f.location.span.start.line + 1) for f in findings] == [
        ("effect-without-cleanup", "src/List.jsx", 6)]
    assert findings[0].chain[-1].location.path == "src/poll.js"


def test_listener_on_request_object_is_not_reported(tmp_path):
    findings = _scan(tmp_path, {
        "app.js": """
            const express = require('express');
            const app = express();
            app.get('/stream', (req, res) => {
              const onClose = () => res.end();
              req.on('close', onClose);
              res.on('finish', () => console.log('done'));
            });
        """,
    })
    assert not [f for f in findings if f.category.value == "memory-leak"]


def test_module_cache_appended_in_module_level_loop_is_not_reported(tmp_path):
    findings = _scan(tmp_path, {
        "plugins.py": """
            _plugins = []


            def register(name):
                _plugins.append(name)


            for plugin in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]:
                register(plugin)
        """,
    })
    assert not [f for f in findings if f.rule_id == "unbounded-module-cache"]


def test_keyed_cache_repeated_only_by_a_loop_is_not_reported_but_a_list_is(tmp_path):
    """Keys taken from a loop's items are often a small vocabulary (tag names); an index
    store into an array is a stack; a list appended to per item grows whatever the items."""
    findings = _scan(tmp_path, {
        "render.js": """
            const endTagCache = new Map();
            const stack = [];
            let index = -1;
            const rendered = [];

            function endTag(tag) {
              let chunk = endTagCache.get(tag);
              if (chunk === undefined) {
                chunk = '</' + tag + '>';
                endTagCache.set(tag, chunk);
              }
              stack[++index] = chunk;
              rendered.push(chunk);
              return chunk;
            }

            export function renderAll(elements) {
              for (const element of elements) {
                endTag(element.tag);
              }
            }
        """,
    })
    found = [(f.rule_id, f.location.path, f.location.span.start.line + 1) for f in findings
             if f.rule_id == "unbounded-module-cache"]
    assert found == [("unbounded-module-cache", "render.js", 13)]  # `rendered.push(chunk)`


def test_exported_memo_filled_only_at_import_time_is_a_registry(tmp_path):
    registry = """
        const elements = new Map();

        export function addMethod(name, element) {
          if (elements.has(name)) return elements.get(name);
          elements.set(name, element);
          return element;
        }
    """
    only_imports = _scan(tmp_path / "a", {
        "core.js": registry,
        "nodes.js": "import { addMethod } from './core';\naddMethod('add', 1);\naddMethod('sub', 2);\n",
    })
    assert not [f for f in only_imports if f.rule_id == "unbounded-module-cache"]
    called = _scan(tmp_path / "b", {
        "core.js": registry,
        "nodes.js": "import { addMethod } from './core';\nexport function use(name) {\n  return addMethod(name, 1);\n}\n",
    })
    found = [(f.rule_id, f.location.path, f.location.span.start.line + 1) for f in called
             if f.rule_id == "unbounded-module-cache"]
    assert found == [("unbounded-module-cache", "core.js", 5)]


def test_test_code_is_skipped_unless_asked(tmp_path):
    files = {"tests/test_client.py": """
        import httpx


        def test_base_url():
            client = httpx.Client(base_url="https://example.com/")
            assert client.base_url
    """}
    assert not [f for f in _scan(tmp_path, files) if f.rule_id == "unclosed-resource"]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.perfsense.rules.unclosed-resource]\ninclude-tests = true\n", encoding="utf-8")
    found = [f for f in scan_tree(tmp_path).findings if f.rule_id == "unclosed-resource"]
    assert [(f.location.path, f.location.span.start.line + 1) for f in found] == [("tests/test_client.py", 5)]


def test_repetition_is_recomputed_after_an_edit():
    from perfsense.rules.memory_leak.context import repeated
    from perfsense.scanner.callgraph import CallGraph
    from perfsense.scanner.project import FunctionRef, Project
    from tests.facts_helpers import CATALOGS

    before = "function work() {}\nmodule.exports = { work };\n"
    after = "function work() {}\nfunction run(items) { for (const i of items) { work(i); } }\n"
    graph = CallGraph(Project(facts_of({"a.js": before})), CATALOGS)
    assert FunctionRef("a.js", 1) not in repeated(graph)
    graph.replace_file(facts_of({"a.js": after})["a.js"])
    assert repeated(graph)[FunctionRef("a.js", 1)].why == "loop"
