"""A rule's documentation, rendered from the rule itself (docs sections and examples).

`perfsense explain`, SARIF `help.markdown` and the README rule catalog all come from here,
so the documentation cannot drift from the examples the tests run.
"""
from __future__ import annotations

import re

from perfsense.scanner.engine.rule import Example, Rule

_MARKER = re.compile(r"\s*(#|//)\s*expect\b(:\s*[\w, -]+)?|\s*\{?/\*\s*expect\b(:\s*[\w, -]+)?\s*\*/\}?")
_BACKTICKS = re.compile(r"`{3,}")
FENCE = {"python": "python", "javascript": "js", "typescript": "ts", "tsx": "tsx", "jsx": "jsx"}


def example_code(example: Example) -> list[tuple[str, str, str]]:
    """(path, fence language, code without `expect` markers) for each file of an example."""
    out = []
    for path, code in example.sources().items():
        suffix = path.rsplit(".", 1)[-1]
        fence = {"py": "python", "js": "js", "mjs": "js", "cjs": "js", "jsx": "jsx", "ts": "ts",
                 "tsx": "tsx"}.get(suffix, "text")
        out.append((path, fence, "\n".join(_MARKER.sub("", line) for line in code.splitlines()).rstrip()))
    return out


def _examples_md(examples: tuple[Example, ...], limit: int) -> list[str]:
    lines: list[str] = []
    for example in examples[:limit]:
        if example.title:
            lines.append(f"*{example.title}*")
            lines.append("")
        files = example_code(example)
        for path, language, code in files:
            if len(files) > 1:
                lines.append(f"`{path}`:")
            fence = "`" * max(3, 1 + max((len(run) for run in _BACKTICKS.findall(code)), default=0))
            lines.extend([f"{fence}{language}", code, fence, ""])
    return lines


def render_markdown(rule: type[Rule], heading: str = "##", examples: int = 2) -> str:
    docs = rule.docs
    out = [f"{heading} {rule.id}", "", f"{rule.summary}", "",
           f"Category: `{rule.category.value}` · severity: {rule.severity.value} · "
           f"precision: {rule.confidence.value} · languages: {', '.join(rule.languages)}", ""]
    out += [f"{heading}# What it does", "", docs.section("what"), ""]
    out += [f"{heading}# Why is this bad", "", docs.section("why"), ""]
    if rule.invalid:
        out += [f"{heading}# Example", ""] + _examples_md(rule.invalid, examples)
    out += [f"{heading}# Use instead", "", docs.section("instead"), ""]
    if rule.valid:
        out += _examples_md(rule.valid, examples)
    out += [f"{heading}# Options", "", docs.section("options"), ""]
    return "\n".join(out).rstrip() + "\n"


def render_text(rule: type[Rule], examples: int | None = None) -> str:
    """Plain text for the terminal (`perfsense explain`) and SARIF `help.text`: headings kept,
    code indented; every example unless `examples` limits them."""
    count = len(rule.invalid) + len(rule.valid) if examples is None else examples
    text = render_markdown(rule, heading="#", examples=count)
    out, in_code, fence = [], False, ""
    for line in text.splitlines():
        if not in_code and line.startswith("```"):
            in_code, fence = True, line[:len(line) - len(line.lstrip("`"))]
            continue
        if in_code and line == fence:
            in_code = False
            continue
        out.append(("    " + line).rstrip() if in_code else line)
    return "\n".join(out) + "\n"


def catalog_table(rules: list[type[Rule]]) -> str:
    """The README's rule catalog: one row per rule."""
    rows = ["| id | category | languages | summary |", "|---|---|---|---|"]
    for rule in rules:
        rows.append(f"| [`{rule.id}`](docs/rules.md#{rule.id}) | {rule.category.value} | "
                    f"{', '.join(rule.languages)} | {rule.summary} |")
    return "\n".join(rows) + "\n"


def rules_page(rules: list[type[Rule]]) -> str:
    """docs/rules.md: every rule's full documentation."""
    parts = ["# perfsense rules", "",
             "Generated from the rules themselves (`python -m perfsense.scanner.engine.docs --write`);",
             "every example on this page is run as a test.", ""]
    for rule in rules:
        parts.append(render_markdown(rule, heading="##"))
    return "\n".join(parts)


START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def with_catalog(readme: str, rules: list[type[Rule]]) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{catalog_table(rules)}{END}{tail}"


def main() -> int:
    import argparse
    from pathlib import Path

    from perfsense.scanner.engine.registry import rule_classes

    parser = argparse.ArgumentParser(description="Regenerate README's rule catalog and docs/rules.md.")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--repo", default=".")
    args = parser.parse_args()
    repo = Path(args.repo)
    rules = list(rule_classes())
    readme = repo / "README.md"
    new_readme = with_catalog(readme.read_text(encoding="utf-8"), rules)
    page = rules_page(rules)
    if args.write:
        readme.write_text(new_readme, encoding="utf-8")
        (repo / "docs").mkdir(exist_ok=True)
        (repo / "docs" / "rules.md").write_text(page, encoding="utf-8")
    else:
        print(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
