"""Per-file facts for the bundle-bloat rules, gathered once per JS/TS file in the per-file
stage and stored in `facts.extra[KEY]` (plain, picklable)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.rules.bundle_bloat.catalog import BundleCatalog, bundle_catalog
from perfsense.rules.bundle_bloat.jsx import Render, renders
from perfsense.rules.bundle_bloat.usage import LocalUse, identifiers, local_uses
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.model import Span
from perfsense.scanner.parse import query as compiled_query
from perfsense.scanner.parse.walk import ancestors
from perfsense.scanner.source import SourceFile

KEY = "whole-library-import"  # the rule whose `collect` gathers these facts
STATEMENT_QUERY = """
(import_statement) @statement
(export_statement source: (_)) @statement
(call_expression function: (identifier) @callee (#eq? @callee "require") arguments: (arguments (string))) @call
(call_expression function: (import) @callee arguments: (arguments (string))) @call
"""
STATEMENTS = ("lexical_declaration", "variable_declaration", "expression_statement")
CONDITIONS = ("if_statement", "ternary_expression", "binary_expression")
MAX_UP = 40
NODE_PREFIX = re.compile(r"""(?:\bfrom|\brequire\(|\bimport\(?)\s*['"]node:""")
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleFacts:
    directives: tuple[str, ...] = ()  # "use client", "use server", … at the top of the file
    statements: tuple[Span, ...] = ()  # import / export-from / require statements, whole
    uses: dict[str, LocalUse] = field(default_factory=dict)  # imported local -> how it is used
    renders: tuple[Render, ...] = ()  # where imported components are rendered
    dev_only: tuple[int, ...] = ()  # 0-based lines of require / import() run in development only
    node_builtin: bool = False  # imports a `node:` built-in (server code)


def bundle_facts(facts: FileFacts) -> BundleFacts:
    found = facts.extra.get(KEY)
    return found if isinstance(found, BundleFacts) else BundleFacts()


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


def _dev_only(call: ts.Node, src: SourceFile, markers: tuple[str, ...]) -> bool:
    current = call
    for count, up in enumerate(ancestors(call)):
        if count > MAX_UP or up.type == "program":
            return False
        if up.type in CONDITIONS:
            test = up.child_by_field_name("condition") if up.type != "binary_expression" \
                else up.child_by_field_name("left")
            if test is not None and test != current:
                text = src.byte_text(test.start_byte, test.end_byte, 200)
                if any(marker in text for marker in markers):
                    return True
        current = up
    return False


def _statements(root: ts.Node, src: SourceFile, cat: BundleCatalog, calls: bool) -> tuple[list[Span], list[int]]:
    """Spans of import statements (and of require / import() statements when `calls`),
    and the lines of requires that run in development only."""
    spans: list[Span] = []
    dev: list[int] = []
    if not calls:
        for node in root.named_children:
            if node.type == "import_statement" or (node.type == "export_statement"
                                                   and node.child_by_field_name("source") is not None):
                spans.append(src.span(node.start_byte, node.end_byte))
        return spans, dev
    query = compiled_query(src.language, STATEMENT_QUERY)
    for _pattern, caps in ts.QueryCursor(query).matches(root):
        if "statement" in caps:
            node = caps["statement"][0]
            spans.append(src.span(node.start_byte, node.end_byte))
            continue
        callee, call = caps["callee"][0], caps["call"][0]
        statement = next((up for up in ancestors(call) if up.type in STATEMENTS), None) \
            if callee.type == "identifier" else None
        node = statement if statement is not None and statement.start_point[0] >= call.start_point[0] - 3 else call
        spans.append(src.span(node.start_byte, node.end_byte))
        if _dev_only(call, src, cat.dev_conditions):
            dev.append(src.position(call.start_byte).line)
    return spans, dev


def collect(ctx: FileContext) -> BundleFacts | None:
    if ctx.language == "python":
        return None
    cat = bundle_catalog(ctx.catalogs)
    facts = ctx.facts
    src = ctx.source
    names = {imp.local for imp in facts.imports if not imp.type_only and IDENTIFIER.match(imp.local)}
    components = {name for name in names if name[:1].isupper()}
    calls = any(imp.kind in ("require", "dynamic") for imp in facts.imports)
    statements, dev = _statements(ctx.root, src, cat, calls) if facts.imports else ([], [])
    nodes = identifiers(ctx.root, src, names)
    return BundleFacts(
        directives=_directives(ctx.root, src),
        statements=tuple(sorted(set(statements))),
        uses=local_uses(nodes, src, names, cat.server_exports),
        renders=renders(nodes, src, components, cat),
        dev_only=tuple(sorted(set(dev))),
        node_builtin=bool(facts.imports) and NODE_PREFIX.search(src.text) is not None,
    )
