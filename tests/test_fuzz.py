"""Property-based fuzzing of the per-file stage (and the project stage on its facts): for
generated and mutated Python and JavaScript, no exception escapes, no rule trips over the
input (`internal-error`), and every finding lies inside its file.

The default run is bounded and derandomised (same examples every run, so CI is stable);
`PERFSENSE_FUZZ_EXAMPLES=2000 PERFSENSE_FUZZ_RANDOM=1 pytest tests/test_fuzz.py` digs deeper.
"""
from __future__ import annotations

import os
import textwrap

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.engine.project_stage import run_project_rules
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.model import Finding, SkipReason, Span
from perfsense.scanner.source import SourceFile

EXAMPLES = int(os.environ.get("PERFSENSE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("PERFSENSE_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large], database=None)
SETTINGS = Settings(timeout=30)

PYTHON_SEEDS = [textwrap.dedent(c) for c in (
    """
    import asyncio, requests, time
    from django.db import models

    class Shop(models.Model):
        async def pay(self, orders):
            for order in orders:
                requests.post("u", json={"id": order.id})
                await asyncio.sleep(0)
            return [o.customer.name for o in orders]

    async def handler(request):
        time.sleep(1)
        with open("f") as handle:
            data = handle.read()
        return await asyncio.to_thread(lambda: data)
    """,
    """
    @app.get("/x")
    async def route(db=Depends(get_db)):
        items = db.query(Item).all()
        for item in items:
            item.tags.count()
        match items:
            case [first, *rest] if (n := len(rest)):
                yield first
        try:
            pass
        except* ValueError as group:
            raise
    type Alias[T] = list[T]
    def f[T](x: T) -> T: return x
    s = f"{'a'!r:>{10}}" + t"{x}"
    """,
    "x = 1\n", "", "# only a comment\n", "def f(:\n    pass\n", "print 'py2'\n",
)]

JS_SEEDS = [textwrap.dedent(c) for c in (
    """
    const fs = require('fs');
    import express from 'express';
    const app = express();
    app.get('/', async (req, res) => {
      const data = fs.readFileSync('x');
      for (const id of req.query.ids) {
        await db.user.findUnique({ where: { id } });
      }
      await Promise.all(ids.map(async (id) => User.findByPk(id)));
      res.send(`${data}`);
    });
    useEffect(() => { window.addEventListener('resize', onResize); }, []);
    export default app;
    """,
    """
    #!/usr/bin/env node
    const el = <div className="x">{items.map(i => <b key={i}>{i}</b>)}</div>;
    class A extends B { static #x = 1; async *gen() { yield* await other(); } get y() { return this.#x; } }
    const v = a?.b ?? c; label: for (;;) { break label; }
    const data = await fetch('x');
    function f(x: number): string { return String(x); }
    """,
    "var a = 1;\n", "", "// c\n", "function broken( {\n", "x = `${`${y}`}`;\n",
)]

PY_TOKENS = ["(", ")", "[", "]", "{", "}", ":", "\n", "\r\n", "\r", "\t", "    ", "async ", "await ", "def ",
             "class ", "for x in y", "lambda: ", "\"", "'", "\"\"\"", "f\"{", "#", "\\", "@", "=", ",", "*",
             "yield ", "return ", "with ", "import requests\n", "requests.get(u)", "é", "日本", "\u2028",
             "\ufeff", "\x00", "\x0c", "if", "else:", "match x:\n    case 1:", "->", ":=", "...", "0777", "`"]
JS_TOKENS = ["(", ")", "[", "]", "{", "}", ";", "\n", "\r\n", "\r", "\t", "async ", "await ", "function ",
             "=>", "class ", "for (const x of y)", "`", "${", "'", "\"", "//", "/*", "*/", "/re/g", "<div>",
             "</div>", "<>", "?.", "??", "...", "#!", "import x from 'y';", "require('fs')", "fs.readFileSync(p)",
             "é", "日本", "\u2028", "\ufeff", "\x00", ",", "=", ":", "?", "@dec", "as any", "type T = {}"]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str], tokens: list[str]) -> str:
    """A seed with a few random edits: deletions, duplications, token or random-text insertions."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 8))):
        size = len(text)
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, min(size, start + 40)))
        kind = draw(st.sampled_from(["delete", "duplicate", "token", "text", "swap"]))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + text[start:end] * draw(st.integers(1, 30)) + text[end:]
        elif kind == "token":
            text = text[:start] + draw(st.sampled_from(tokens)) * draw(st.integers(1, 50)) + text[start:]
        elif kind == "text":
            text = text[:start] + draw(st.text(max_size=20)) + text[start:]
        else:
            text = text[start:end] + text[:start] + text[end:]
    return text


def _inside(span: Span, source: SourceFile) -> bool:
    lines = max(source.line_count, 1)
    for point in (span.start, span.end):
        if not 0 <= point.line < lines + 1 or point.column < 0:
            return False
        if point.line < lines and point.column > len(source.line_text(point.line)) + 2:
            return False
    return span.start <= span.end


def _check_finding(finding: Finding, source: SourceFile) -> None:
    assert finding.location.path == source.path
    assert _inside(finding.location.span, source), (finding.location, source.line_count)
    assert finding.message
    for step in finding.chain:
        assert step.location.path == source.path
        assert _inside(step.location.span, source), step.location


def check_source(text: str, path: str, language: str) -> None:
    source = SourceFile(path, text, language)
    result = analyse_source(source, path.rsplit(".", 1)[0], False, SETTINGS)
    internal = [s for s in result.skips if s.reason is SkipReason.INTERNAL_ERROR]
    assert not internal, internal
    for finding in result.findings:
        _check_finding(finding, source)
    if result.facts is not None:
        findings, skips = run_project_rules({path: result.facts}, Catalogs(), {}, rule_classes())
        assert not skips, skips
        for finding in findings:
            _check_finding(finding, source)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_python(text: str) -> None:
    check_source(text, "gen.py", "python")


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(FUZZ, max_examples=max(5, EXAMPLES // 4))  # libcst-based: slow
@given(hypothesmith.from_node())
def test_generated_python_from_syntax_trees(text: str) -> None:
    check_source(text, "node.py", "python")


@FUZZ
@given(mutated(PYTHON_SEEDS, PY_TOKENS))
def test_mutated_python(text: str) -> None:
    check_source(text, "mut.py", "python")


@FUZZ
@given(mutated(JS_SEEDS, JS_TOKENS), st.sampled_from([("mut.js", "javascript"), ("mut.ts", "typescript"),
                                                       ("mut.tsx", "tsx")]))
def test_mutated_javascript(text: str, target: tuple[str, str]) -> None:
    check_source(text, *target)


@FUZZ
@given(st.lists(st.sampled_from(JS_TOKENS + ["a", "b", "f", "x.y", "1", "this"]), max_size=200).map("".join))
def test_javascript_token_soup(text: str) -> None:
    check_source(text, "soup.js", "javascript")


@FUZZ
@given(st.lists(st.sampled_from(PY_TOKENS + ["a", "b", "f", "x.y", "1", "self"]), max_size=200).map("".join))
def test_python_token_soup(text: str) -> None:
    check_source(text, "soup.py", "python")
