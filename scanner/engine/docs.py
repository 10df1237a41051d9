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
    """Plain text for the terminal (`perfsense explain`, SARIF `help.text`): the markdown
    minus the fences; every example unless `examples` limits them."""
    count = len(rule.invalid) + len(rule.valid) if examples is None else examples
    text = render_markdown(rule, heading="#", examples=count)
    return re.sub(r"^`{3,}\w*\n", "", re.sub(r"\n`{3,}\n", "\n\n", text), flags=re.MULTILINE)
