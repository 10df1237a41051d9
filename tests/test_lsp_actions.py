"""Quick fixes: suppression comments that really are comments, and the `time.sleep` fix."""
from __future__ import annotations

from perfsense.lsp.actions import apply_edits, minimal_edit, rule_fix, suppressions
from perfsense.rules.blocking_io.fixes import sleep_to_asyncio
from perfsense.scanner.model import Category, Finding, Location, Position, Severity, Span
from perfsense.scanner.source import SourceFile

RULE = "blocking-call-in-async"


def finding(line: int, column: int = 4, fix: tuple = (), path: str = "a.py", width: int = 5) -> Finding:
    span = Span(Position(line, column), Position(line, column + width))
    return Finding(rule_id=RULE, category=Category.BLOCKING_IO, severity=Severity.WARNING, message="m",
                   location=Location(path, span), fix=fix)


def results(text: str, line: int, language: str = "python", path: str = "a.py") -> dict[str, str]:
    source = SourceFile(path, text, language)
    return {action.title: apply_edits(text, list(action.edits), source)
            for action in suppressions(finding(line, path=path), source)}


def test_python_suppression_at_end_of_line_and_above():
    text = "async def f():\n    if x:\n        time.sleep(1)  # why\n"
    out = results(text, 2)
    assert set(out.values()) == {
        "async def f():\n    if x:\n        time.sleep(1)  # why  # perfsense: ignore[blocking-call-in-async]\n",
        "async def f():\n    if x:\n        # perfsense: ignore[blocking-call-in-async]\n        time.sleep(1)  # why\n",
    }


def test_crlf_files_keep_their_line_breaks():
    text = "async def f():\r\n    time.sleep(1)\r\n"
    above = next(v for k, v in results(text, 1).items() if "above" in k)
    assert above == "async def f():\r\n    # perfsense: ignore[blocking-call-in-async]\r\n    time.sleep(1)\r\n"


def test_javascript_uses_line_comments():
    text = "app.get('/', async (req, res) => {\n  fs.readFileSync('x');\n});\n"
    out = results(text, 1, "javascript", "a.js")
    assert "  fs.readFileSync('x');  // perfsense: ignore[blocking-call-in-async]\n" in "".join(out.values())
    assert "  // perfsense: ignore[blocking-call-in-async]\n  fs.readFileSync('x');\n" in "".join(out.values())


def test_no_comment_inside_a_string_or_jsx_text():
    text = 'async def f():\n    requests.post(url, data="""\nbody\n""")\n'
    out = results(text, 1)  # the end of line 2 is inside the triple-quoted string
    assert list(out) == ["Suppress `blocking-call-in-async` with a comment on the line above (perfsense)"]
    jsx = "export default function Page() {\n  return (\n    <div>\n      {fs.readFileSync('x')} text\n    </div>\n  );\n}\n"
    assert results(jsx, 3, "tsx", "page.tsx") == {}  # `//` in JSX text is shown, not a comment


def test_an_existing_suppression_is_extended():
    text = "async def f():\n    time.sleep(1)  # perfsense: ignore[n-plus-one] -- cached\n"
    (value,) = results(text, 1).values()
    assert value == ("async def f():\n    time.sleep(1)  # perfsense: ignore[n-plus-one, blocking-call-in-async]"
                     " -- cached\n")
    text = "async def f():\n    # perfsense: ignore[n-plus-one]\n    time.sleep(1)\n"
    assert "# perfsense: ignore[n-plus-one, blocking-call-in-async]\n" in "".join(results(text, 2).values())


def test_minimal_edit_is_the_changed_middle():
    edit = minimal_edit("a\nbc time.sleep(1)\n", "a\nbc await asyncio.sleep(1)\n")
    assert (edit.span.start, edit.span.end, edit.text) == (Position(1, 3), Position(1, 7), "await asyncio")


def test_rule_fix_from_finding_data_and_from_the_rule():
    text = "import time\n\nasync def f():\n    time.sleep(1)\n"
    source = SourceFile("a.py", text, "python")
    replaced = rule_fix(finding(3, fix=(("replace", "pass"), ("title", "Drop it")), width=13), source)
    assert replaced.title == "Drop it" and apply_edits(text, list(replaced.edits), source).endswith("\n    pass\n")
    action = rule_fix(finding(3, fix=(("fix", "asyncio-sleep"), ("title", "T"))), source)
    assert apply_edits(text, list(action.edits), source) == \
        "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n"
    assert rule_fix(finding(3), source) is None  # no fix data: nothing offered


def test_sleep_fix_only_where_it_is_safe():
    head = "from __future__ import annotations\nimport time\n"
    assert sleep_to_asyncio(head + "async def f():\n    time.sleep(1)\n", 3, 4) == \
        "from __future__ import annotations\nimport asyncio\nimport time\nasync def f():\n    await asyncio.sleep(1)\n"
    assert sleep_to_asyncio("import time\nasync def f():\n    g = lambda: time.sleep(1)\n", 2, 16) is None
    assert sleep_to_asyncio("import time\nasync def f():\n    def g():\n        time.sleep(1)\n", 3, 8) is None
    assert sleep_to_asyncio("import time\nasyncio = None\nasync def f():\n    time.sleep(1)\n", 3, 4) is None
    assert sleep_to_asyncio("import time\nfrom x import asyncio\nasync def f():\n    time.sleep(1)\n", 3, 4) is None
    assert "import asyncio\nimport time\nimport asyncio as aio\n" in sleep_to_asyncio(
        "import time\nimport asyncio as aio\nasync def f():\n    time.sleep(1)\n", 3, 4)
    assert sleep_to_asyncio("import time\nasync def f(:\n    time.sleep(1)\n", 2, 4) is None  # does not parse
    assert sleep_to_asyncio("import time\nasync def f():\n    x = time.sleep(1)\n", 2, 8) is None
