"""Edge cases of the inefficient-loop family beyond the rules' own examples.

Each case is a small project; `# expect: rule-id` / `// expect: rule-id` marks every line
that must be reported by that rule, and only those lines may be reported by any rule of
the family.
"""
from __future__ import annotations

import textwrap

import pytest

from perfsense.scanner.model import Category
from tests.helpers import MARKER, scan_tree, write_tree

CASES = {
    "annotated-list-param": {"app.py": """
        def keep(rows, allowed: list[str], other):
            a = [r for r in rows if r.kind in allowed]  # expect: linear-search-in-loop
            b = [r for r in rows if r.kind in other]
            return a, b
    """},
    "module-constant-and-rebuilt-haystacks": {"app.py": """
        KINDS = [k.lower() for k in ("A", "B", "C")]

        def keep(rows):
            out = []
            for row in rows:
                names = [t.name for t in row.tags]
                if row.kind in KINDS and row.name in names:
                    out.append(row)
            return out
    """},
    "work-before-return-runs-once": {"app.py": """
        import re

        def first_code(lines):
            for line in lines:
                if line.startswith("#"):
                    pattern = re.compile(r"#(\\d+)")
                    return pattern.match(line)
            return None
    """},
    "one-finding-per-accumulator": {"app.py": """
        def render(groups):
            out = ""
            for group in groups:
                out += group.title  # expect: string-concat-in-loop
                for item in group.items:
                    out += item.name
            return out
    """},
    "string-indexof-is-not-a-search": {"app.js": """
        export function pick(rows, text, names) {
          const wanted = names.map((n) => n.toLowerCase());
          return rows.filter((row) => text.indexOf(row.word) !== -1
            && wanted.indexOf(row.name) !== -1);  // expect: linear-search-in-loop
        }
    """},
    "dependent-and-early-exit-awaits": {"app.js": """
        export async function chain(ids) {
          let token = '';
          for (const id of ids) {
            const res = await fetch(`/items/${id}?token=${token}`);
            token = res.headers.get('x-next');
          }
          for (const id of ids) {
            const res = await fetch(`/probe/${id}`);
            if (res.ok) break;
          }
          for await (const chunk of ids) {
            await fetch(`/chunks/${chunk}`);
          }
          ids.forEach(async (id) => { await fetch(`/fire/${id}`); });
        }
    """},
    "independent-fetches": {"app.js": """
        export async function each(ids) {
          const out = [];
          for (const id of ids) {
            const body = JSON.stringify({ id });
            out.push(await fetch('/items', { method: 'POST', body }));  // expect: sequential-await-in-loop
          }
          return out;
        }
    """},
    "scan-helper-with-keyword-argument": {
        "pkg/__init__.py": "",
        "pkg/find.py": """
            def lookup(key, table=None):
                for entry in table:
                    if entry.key == key:
                        return entry
                return None
        """,
        "pkg/use.py": """
            from .find import lookup

            def resolve(orders, rates):
                return [lookup(order.code, table=rates) for order in orders]  # expect: linear-search-in-loop
        """,
    },
    "helper-called-outside-loops": {
        "pkg/__init__.py": "",
        "pkg/text.py": """
            import re

            def squash(value):
                return re.compile(r"\\s+").sub(" ", value)
        """,
        "pkg/use.py": """
            from .text import squash

            def title(page):
                return squash(page.title)
        """,
    },
    "sorting-lists-whose-elements-change": {"app.js": """
        export function schedule(groups, pick) {
          const done = [];
          while (groups.length) {
            const chosen = pick(groups[0]);
            done.push(chosen);
            for (const group of groups) group.items.splice(group.items.indexOf(chosen), 1);
            groups.sort((a, b) => a.items.length - b.items.length);
          }
          return done;
        }
    """},
    "replacing-a-fixed-size-object": {"app.js": """
        export function refresh(entries, hash) {
          const out = {};
          for (const url of Object.keys(entries)) {
            let entry = entries[url];
            entry = { ...entry, integrity: hash(url) };
            out[url] = entry;
          }
          const totals = entries.list.reduce((acc, e) => ({ ...acc, count: acc.count + 1 }), { count: 0 });
          return [out, totals];
        }
    """},
    "deepcopy-that-escapes": {"app.py": """
        import copy

        def expand(items, template):
            out = []
            for item in items:
                entry = copy.deepcopy(template)
                out.append(entry)
            return out
    """},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(tmp_path, name):
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in CASES[name].items()}
    write_tree(tmp_path, files)
    result = scan_tree(tmp_path)
    expected = set()
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = MARKER.search(line)
            if match is not None:
                expected.add((path, number, match.group("ids").strip()))
    reported = {(f.location.path, f.location.span.start.line + 1, f.rule_id) for f in result.findings
                if f.category is Category.INEFFICIENT_LOOP}
    assert reported == expected


TEST_CODE = {
    "app/__init__.py": "",
    "app/report.py": """
        def lines(rows):
            out = ""
            for row in rows:
                out += row.name + "\\n"
            return out
    """,
    "tests/test_report.py": """
        def test_names(rows, wanted):
            out = ""
            for row in rows:
                out += row.name
            seen = []
            for row in rows:
                if row.name not in seen:
                    seen.append(row.name)
            return [w for w in wanted if w in seen], out
    """,
}


def test_loops_in_test_code_are_reported_only_with_include_tests(tmp_path):
    def found():
        result = scan_tree(tmp_path)
        return {(f.rule_id, f.location.path, f.location.span.start.line + 1) for f in result.findings
                if f.category is Category.INEFFICIENT_LOOP}

    write_tree(tmp_path, {path: textwrap.dedent(text).lstrip("\n") for path, text in TEST_CODE.items()})
    assert found() == {("string-concat-in-loop", "app/report.py", 4)}
    (tmp_path / "perfsense.toml").write_text(
        "[rules.string-concat-in-loop]\ninclude-tests = true\n[rules.linear-search-in-loop]\ninclude-tests = true\n")
    assert found() == {("string-concat-in-loop", "app/report.py", 4), ("string-concat-in-loop", "tests/test_report.py", 4),
                       ("linear-search-in-loop", "tests/test_report.py", 7)}
