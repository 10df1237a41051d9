"""Per-file facts for the bundle-bloat rules, gathered once per JS/TS file in the per-file
stage and stored in `facts.extra[KEY]` (plain, picklable)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.rules.bundle_bloat.catalog import bundle_catalog
from perfsense.rules.bundle_bloat.jsx import Render, render_of
from perfsense.rules.bundle_bloat.usage import LocalUse, UseCounter, identifiers, up, with_ancestors
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.model import Span
from perfsense.scanner.parse import query as compiled_query
from perfsense.scanner.source import SourceFile

KEY = "whole-library-import"  # the rule whose `collect` gathers these facts
STATEMENT_QUERY = """
(import_statement) @statement
(export_statement source: (_)) @statement
(call_expression function: (identifier) @callee (#eq? @callee "require")
                 arguments: (arguments (string))) @call
(call_expression function: (import) @callee arguments: (arguments (string))) @call
"""
STATEMENTS = ("lexical_declaration", "variable_declaration", "expression_statement")
CONDITIONS = ("if_statement", "ternary_expression", "binary_expression")
MAX_UP = 40
NODE_PREFIX = re.compile(r"""(?:\bfrom|\brequire\(|\bimport\(?)\s*['"]node:""")
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*\Z")


FORMAT = 1  # bump when BundleFacts changes: cached facts of another format are ignored


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleFacts:
    format: int = FORMAT
    directives: tuple[str, ...] = ()  # "use client", "use server", … at the top of the file
    statements: tuple[Span, ...] = ()  # import / export-from / require statements, whole
    uses: dict[str, LocalUse] = field(default_factory=dict)  # imported local -> how it is used
    renders: tuple[Render, ...] = ()  # where imported components are rendered
    dev_only: tuple[int, ...] = ()  # 0-based lines of require / import() run in development only
    node_builtin: bool = False  # imports a `node:` built-in (server code)


def bundle_facts(facts: FileFacts) -> BundleFacts:
    found = facts.extra.get(KEY)
    if isinstance(found, BundleFacts) and getattr(found, "format", None) == FORMAT:
        return found
    return BundleFacts()


def _directives(root: ts.Node, src: SourceFile) -> tuple[str, ...]:
    out = []
    for child in root.named_children:
        if child.type == "comment" or child.type == "hash_bang_line":
            continue
        if child.type != "expression_statement" or not child.named_children \
                or child.named_children[0].type != "string":
            break
        out.append(src.byte_text(child.start_byte, child.end_byte, 60).strip(" ;\"'"))
    return tuple(out)


def _dev_only(call: ts.Node, stack: list[ts.Node], src: SourceFile, markers: tuple[str, ...]) -> bool:
    """`require(…)` / `import(…)` under a test of a development-only flag."""
    current = call
    for _index, node in up(stack, MAX_UP):
        if node.type == "program":
            return False
        if node.type in CONDITIONS:
            test = node.child_by_field_name("condition") if node.type != "binary_expression" \
                else node.child_by_field_name("left")
            if test is not None and test != current:
                text = src.byte_text(test.start_byte, test.end_byte, 200)
                if any(marker in text for marker in markers):
                    return True
        current = node
    return False


def _top_level_statements(root: ts.Node, src: SourceFile) -> list[Span]:
    return [src.span(node.start_byte, node.end_byte) for node in root.named_children
            if node.type == "import_statement"
            or (node.type == "export_statement" and node.child_by_field_name("source") is not None)]


def _calls(root: ts.Node, src: SourceFile) -> tuple[list[Span], list[ts.Node]]:
    """Spans of import / export-from statements anywhere, and the require / import() calls."""
    spans: list[Span] = []
    calls: list[ts.Node] = []
    for _pattern, caps in ts.QueryCursor(compiled_query(src.language, STATEMENT_QUERY)).matches(root):
        if "statement" in caps:
            node = caps["statement"][0]
            spans.append(src.span(node.start_byte, node.end_byte))
        else:
            calls.append(caps["call"][0])
    return spans, calls


def collect(ctx: FileContext) -> BundleFacts | None:
    if ctx.language == "python":
        return None
    cat = bundle_catalog(ctx.catalogs)
    facts = ctx.facts
    src = ctx.source
    names = {imp.local for imp in facts.imports if not imp.type_only and IDENTIFIER.match(imp.local)}
    components = {name for name in names if name[:1].isupper()}
    if any(imp.kind in ("require", "dynamic") for imp in facts.imports):
        statements, calls = _calls(ctx.root, src)
    else:
        statements, calls = _top_level_statements(ctx.root, src) if facts.imports else [], []
    call_ids = {call.id for call in calls}
    counter = UseCounter(src, names, cat.server_exports)
    renders: list[Render] = []
    dev: list[int] = []
    for node, stack in with_ancestors(ctx.root, identifiers(ctx.root, src, names) + calls):
        if node.id in call_ids:
            statement = next((n for _i, n in up(stack, 8) if n.type in STATEMENTS), None)
            if statement is not None and node.child_by_field_name("function").type == "identifier" \
                    and statement.start_point[0] >= node.start_point[0] - 3:
                statements.append(src.span(statement.start_byte, statement.end_byte))
            else:
                statements.append(src.span(node.start_byte, node.end_byte))
            if _dev_only(node, stack, src, cat.dev_conditions):
                dev.append(src.position(node.start_byte).line)
            continue
        counter.add(node, stack)
        if src.byte_text(node.start_byte, node.end_byte, 100) in components:
            render = render_of(node, stack, src, cat)
            if render is not None:
                renders.append(render)
    return BundleFacts(
        directives=_directives(ctx.root, src),
        statements=tuple(sorted(set(statements))),
        uses=counter.result(),
        renders=tuple(renders),
        dev_only=tuple(sorted(set(dev))),
        node_builtin=bool(facts.imports) and NODE_PREFIX.search(src.text) is not None,
    )
