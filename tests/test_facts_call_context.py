"""Call facts that depend on the call's parent (awaited, a statement, returned) come from a
query, not `Node.parent` (quadratic on deep trees)."""
from __future__ import annotations

import time

from tests.facts_helpers import facts_of

PY = """
async def f():
    g()
    await h()
    x = i()
    return j()


async def k():
    return await m()


def n():
    return o(p())
"""

JS = """
async function f() {
  g();
  await h();
  const x = i();
  return j();
}
async function k() { return await m(); }
const n = () => o(p());
const q = async () => await new R();
"""


def test_python_call_context() -> None:
    facts = facts_of({"m.py": PY})["m.py"]
    flags = sorted((c.span.start.line, c.awaited, c.statement, c.returned) for c in facts.calls)
    assert flags == [(1, False, True, False), (2, True, True, False), (3, False, False, False),
                     (4, False, False, True), (8, True, False, True), (12, False, False, False),
                     (12, False, False, True)]


def test_javascript_call_context() -> None:
    facts = facts_of({"m.js": JS})["m.js"]
    flags = sorted((c.span.start.line, c.span.start.column, c.awaited, c.statement, c.returned) for c in facts.calls)
    assert flags == [(1, 2, False, True, False), (2, 8, True, True, False), (3, 12, False, False, False),
                     (4, 9, False, False, True), (6, 34, True, False, True), (7, 16, False, False, True),
                     (7, 18, False, False, False), (8, 28, True, False, True)]


def test_long_call_chains_are_linear() -> None:
    chain = " + ".join(f"f({i})" for i in range(10_000))
    start = time.process_time()
    js_chain = chain.replace(" + ", " +\n")
    facts = facts_of({"m.py": f"x = {chain}\n", "m.js": f"x = {js_chain};\n"})
    assert len(facts["m.py"].calls) == len(facts["m.js"].calls) == 10_000
    assert time.process_time() - start < 10  # CPU seconds; was ~8 per file: quadratic in the chain
