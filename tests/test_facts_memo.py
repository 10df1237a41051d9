"""Expression values and call arguments are memoised by node type and text: what a file
yields must not depend on the files analysed before it in the same process."""
from __future__ import annotations

from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.facts import javascript as javascript_facts
from perfsense.scanner.facts import jsvalues, memo, pyvalues
from perfsense.scanner.facts import python as python_facts
from perfsense.scanner.source import SourceFile

FIRST = '''import requests
from app.models import Order


async def view(request):
    for order in Order.objects.filter(paid=True):
        requests.get(order.customer.url, timeout=(1, 2))
    return helper(request.user.profile, key="name")
'''

# The same expression texts in other places, as arguments, in a broken statement, and
# with other bindings in scope.
SECOND = '''import httpx as requests


def helper(profile, key):
    order = profile.orders[0]
    requests.get(order.customer.url, timeout=(1, 2))
    value = helper(request.user.profile, key="name"
    return requests.get(order.customer.url
'''


def _clear() -> None:
    for table in (pyvalues.VALUES, python_facts.ARGS, jsvalues.VALUES, javascript_facts.ARGS):
        table.clear()


def _analyse(text: str):
    return analyse_source(SourceFile("m.py", text, "python"), "m", False, Settings())


def test_results_do_not_depend_on_what_was_analysed_before() -> None:
    _clear()
    alone = {name: _analyse(text) for name, text in (("first", FIRST), ("second", SECOND))}
    for order in (("first", "second"), ("second", "first"), ("second", "second")):
        _clear()
        for name in order:
            result = _analyse(FIRST if name == "first" else SECOND)
            assert result.facts == alone[name].facts, order
            assert result.findings == alone[name].findings, order
    assert len(pyvalues.VALUES) and len(python_facts.ARGS)  # the memos were used


def test_values_inside_syntax_errors_are_not_memoised() -> None:
    from perfsense.scanner.parse import parse

    _clear()
    source = SourceFile("m.py", "y = f(a.b, c=[1, 2]).g(\n", "python")
    stack = [parse(source.data, "python").root_node]
    broken = []
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.is_named and node.has_error and node.type != "module":
            broken.append(node)
    assert broken
    for node in broken:
        pyvalues.value_of(node, 0, source)
    assert not len(pyvalues.VALUES)
    _analyse(source.text)
    assert all(b".g(" not in text for _lang, _kind, text in pyvalues.VALUES.table)


def test_memo_is_bounded(monkeypatch) -> None:
    _clear()
    monkeypatch.setattr(memo, "MEMO_SIZE", 5)
    for i in range(30):
        _analyse(f"value_{i} = compute_{i}(arg_{i}.attr)\n")
    assert 0 < len(pyvalues.VALUES) <= 5


JS_FIRST = """import axios from 'axios';
export async function load(ids) {
  for (const id of ids) { await axios.get(`/api/${id}`, { timeout: 5 }); }
  return helper(this.user.profile, 'name');
}
"""
JS_SECOND = """const axios = require('./client');
function helper(profile, key) {
  axios.get(`/api/${id}`, { timeout: 5 });
  return helper(this.user.profile, 'name'
}
"""


def test_javascript_and_typescript_results_do_not_depend_on_order() -> None:
    def run(text: str, lang: str):
        return analyse_source(SourceFile("m.ts" if lang == "typescript" else "m.js", text, lang), "./m", False,
                              Settings())

    cases = [(JS_FIRST, "javascript"), (JS_SECOND, "javascript"), (JS_FIRST, "typescript"), (JS_SECOND, "typescript")]
    _clear()
    alone = []
    for text, lang in cases:
        _clear()
        alone.append(run(text, lang))
    _clear()
    for (text, lang), expected in zip(cases + cases[::-1], alone + alone[::-1]):
        result = run(text, lang)
        assert result.facts == expected.facts and result.findings == expected.findings, lang
    assert len(jsvalues.VALUES) and len(javascript_facts.ARGS)
