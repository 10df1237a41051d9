"""How a file uses the names it imports: in types only, statically, or dynamically; at
render time or only when the user acts. Part of the per-file stage (tree at hand)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts

from perfsense.scanner.model import Span
from perfsense.scanner.parse import document_order, query
from perfsense.scanner.source import SourceFile

FUNCTIONS = frozenset({"arrow_function", "function_expression", "function_declaration", "function",
                       "generator_function", "generator_function_declaration", "method_definition"})
TYPE_CONTEXT = frozenset({"type_annotation", "type_query", "type_alias_declaration", "interface_declaration",
                          "type_arguments", "implements_clause", "extends_type_clause", "type_predicate",
                          "index_type_query", "abstract_class_declaration", "ambient_declaration",
                          "type_parameters", "opting_type_annotation", "omitting_type_annotation"})
DECLARING = frozenset({"jsx_closing_element", "import_specifier", "namespace_import", "import_clause",
                       "required_parameter", "optional_parameter", "formal_parameters", "export_specifier"})
ESCAPES = frozenset({"arguments", "spread_element", "pair", "array", "return_statement", "jsx_expression",
                     "spread_attribute", "jsx_spread_attribute"})
RENDER_HOOKS = frozenset({"useEffect", "useLayoutEffect", "useMemo", "useInsertionEffect", "useState",
                          "useReducer", "useSyncExternalStore", "computed", "watch", "onMounted",
                          "watchEffect", "createEffect", "createMemo", "onMount", "$effect", "$derived"})
LIFECYCLE = frozenset({"render", "constructor", "componentDidMount", "componentDidUpdate",
                       "componentWillMount", "getDerivedStateFromProps", "setup", "mounted", "created",
                       "beforeMount", "data",
                       "ngOnInit", "ngAfterViewInit", "connectedCallback", "firstUpdated"})
TRANSPARENT = frozenset({"parenthesized_expression", "as_expression", "non_null_expression",
                         "satisfies_expression", "type_assertion"})
LITERAL_INDEX = frozenset({"string", "number"})
MAX_UP = 100
MAX_DEPTH = 100_000
IDENTIFIERS = "[(identifier) (shorthand_property_identifier)] @id"


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalUse:
    """How one imported name is used in its file."""

    value_uses: int = 0
    type_uses: int = 0
    jsx_uses: int = 0
    dynamic_span: Span | None = None  # the first dynamic use
    dynamic_text: str = ""  # that use, shortened (`Icons[item.icon]`)
    dynamic_how: str = ""  # "indexed with a computed key" | "passed on whole" | …
    deferred: bool = False  # every value use runs only when the user acts (handler, helper)
    deferred_in: str = ""  # the function it is deferred in (first use)
    server_only: bool = False  # every value use sits in a framework server function

    @property
    def dynamic_line(self) -> int | None:
        return self.dynamic_span.start.line if self.dynamic_span is not None else None


def identifiers(root: ts.Node, src: SourceFile, names: set[str]) -> list[ts.Node]:
    """Identifier nodes whose text is one of `names` (one cached query; compiling a query
    per file would cost more than filtering)."""
    if not names:
        return []
    wanted = {name.encode() for name in names}
    found = ts.QueryCursor(query(src.language, IDENTIFIERS)).captures(root).get("id", [])
    return [n for n in found if n.text in wanted]


def with_ancestors(root: ts.Node, targets: list[ts.Node]) -> Iterator[tuple[ts.Node, list[ts.Node]]]:
    """Each target node (in document order) with its ancestors, outermost first.

    `Node.parent` costs a walk from the root in tree-sitter, so climbing parents is
    quadratic in the depth; this descends once per target from the closest ancestor
    already on the stack. The yielded list is reused: read it, do not keep it."""
    stack = [root]
    for target in document_order(targets):
        while len(stack) > 1 and not (stack[-1].start_byte <= target.start_byte
                                      and target.end_byte <= stack[-1].end_byte):
            stack.pop()
        current = stack[-1]
        for _ in range(MAX_DEPTH):
            child = current.child_with_descendant(target)
            if child is None or child == target:
                break
            stack.append(child)
            current = child
        yield target, stack


def up(stack: list[ts.Node], limit: int = MAX_UP) -> Iterator[tuple[int, ts.Node]]:
    """(index in the stack, ancestor), innermost first, at most `limit` of them."""
    for index in range(len(stack) - 1, max(-1, len(stack) - 1 - limit), -1):
        yield index, stack[index]


def function_name(stack: list[ts.Node], index: int, src: SourceFile) -> str:
    """The name of the function at `stack[index]`: declaration, variable, property, JSX attribute."""
    fn = stack[index]
    name = fn.child_by_field_name("name")
    if name is not None:
        return _text(name, src)
    parent = stack[index - 1] if index > 0 else None
    if parent is None:
        return ""
    if parent.type == "variable_declarator":
        return _text(parent.child_by_field_name("name"), src)
    if parent.type in ("pair", "public_field_definition", "field_definition"):
        return _text(parent.child_by_field_name("key") or parent.child_by_field_name("name")
                     or parent.child_by_field_name("property"), src)
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        return _text(left, src).rsplit(".", 1)[-1] if left is not None else ""
    grand = stack[index - 2] if index > 1 else None
    if parent.type == "jsx_expression" and grand is not None and grand.type == "jsx_attribute":
        return _text(grand.named_children[0], src) if grand.named_children else ""
    return ""


def _text(node: ts.Node | None, src: SourceFile, limit: int = 80) -> str:
    if node is None:
        return ""
    return src.byte_text(node.start_byte, node.end_byte, limit)


def _callee_name(call: ts.Node, src: SourceFile) -> str:
    function = call.child_by_field_name("function")
    return _text(function, src).rsplit(".", 1)[-1] if function is not None else ""


def deferral(stack: list[ts.Node], src: SourceFile) -> tuple[bool, str, str]:
    """(runs only when the user acts, the function that defers it, the name of the outermost
    enclosing function) for a node whose ancestors are `stack`."""
    verdict: tuple[bool, str] = (False, "")
    for index, node in up(stack):
        if node.type not in FUNCTIONS:
            continue
        name = function_name(stack, index, src)
        parent = stack[index - 1] if index > 0 else None
        grand = stack[index - 2] if index > 1 else None
        if parent is not None and parent.type == "arguments" and grand is not None \
                and grand.type == "call_expression":
            callee = _callee_name(grand, src)
            if callee in RENDER_HOOKS:
                break
            if callee == "useCallback":
                verdict = (True, "a `useCallback` handler")
                break
            continue
        if parent is not None and parent.type == "jsx_expression":
            if name.startswith("on") and name[2:3].isupper():
                verdict = (True, f"the `{name}` handler")
            break
        renders = name in LIFECYCLE or name[:1].isupper() or (name.startswith("use") and name[3:4].isupper())
        if name and not renders:
            verdict = (True, f"`{name}()`")
        if name:
            break
    outer = next((i for i in range(min(len(stack), MAX_UP)) if stack[i].type in FUNCTIONS), None)
    return verdict[0], verdict[1], function_name(stack, outer, src) if outer is not None else ""


def _in_types(stack: list[ts.Node]) -> bool:
    for _index, node in up(stack):
        if node.type in TYPE_CONTEXT:
            return True
        if node.type in ("statement_block", "program", "class_body"):
            return False
    return False


def _classify(node: ts.Node, stack: list[ts.Node], src: SourceFile) -> tuple[str, str, ts.Node]:
    """("jsx" | "static" | "dynamic" | "other", how, the expression that uses it) for one value use."""
    level = len(stack) - 1
    parent = stack[level] if level >= 0 else None
    while parent is not None and parent.type in TRANSPARENT and parent.named_children \
            and parent.named_children[0] == node:
        node, level = parent, level - 1
        parent = stack[level] if level >= 0 else None
    if parent is None:
        return "other", "", node
    grand = stack[level - 1] if level > 0 else None
    kind = parent.type
    if node.type == "shorthand_property_identifier":
        return ("dynamic", "passed on whole", parent) if kind == "object" else ("other", "", node)
    if kind in ("jsx_opening_element", "jsx_self_closing_element"):
        return "jsx", "", node
    if kind == "member_expression" and parent.child_by_field_name("object") == node:
        if grand is not None and grand.type in ("jsx_opening_element", "jsx_self_closing_element"):
            return "jsx", "", node
        return "static", "", node
    if kind == "subscript_expression" and parent.child_by_field_name("object") == node:
        index = parent.child_by_field_name("index")
        if index is not None and (index.type in LITERAL_INDEX or
                                  (index.type == "template_string" and not index.named_children)):
            return "static", "", node
        return "dynamic", "indexed with a computed key", parent
    if kind == "variable_declarator" and parent.child_by_field_name("value") == node:
        target = parent.child_by_field_name("name")
        if target is not None and target.type == "object_pattern":
            return "static", "", node
        return "dynamic", "aliased to another name", parent
    if kind == "for_in_statement":
        return "dynamic", "iterated", parent
    if kind == "assignment_expression" and parent.child_by_field_name("right") == node:
        return "dynamic", "assigned to another name", parent
    if kind in ESCAPES:
        outer = grand if kind == "arguments" and grand is not None else node
        return "dynamic", "passed on whole", outer
    return "other", "", node


class UseCounter:
    """Accumulates how each name in `names` is used, one identifier (with its ancestors) at a time."""

    def __init__(self, src: SourceFile, names: set[str], server_exports: frozenset[str]) -> None:
        self.src = src
        self.server_exports = server_exports
        self.found: dict[str, dict] = {n: {"value": 0, "type": 0, "jsx": 0, "deferred": True, "server": True,
                                           "dynamic": None, "where": ""} for n in names}

    def add(self, node: ts.Node, stack: list[ts.Node]) -> None:
        src = self.src
        name = _text(node, src)
        slot = self.found.get(name)
        parent = stack[-1] if stack else None
        if slot is None or parent is None or parent.type in DECLARING:
            return
        if parent.type == "variable_declarator" and parent.child_by_field_name("name") == node:
            return
        if _in_types(stack):
            slot["type"] += 1
            return
        slot["value"] += 1
        kind, how, use = _classify(node, stack, src)
        if kind == "jsx":
            slot["jsx"] += 1
        if kind == "dynamic" and slot["dynamic"] is None:
            slot["dynamic"] = (src.span(use.start_byte, use.end_byte), _text(use, src, 60), how)
        deferred, where, outermost = deferral(stack, src)
        if not deferred:
            slot["deferred"] = False
        elif not slot["where"]:
            slot["where"] = where
        if outermost not in self.server_exports:
            slot["server"] = False

    def result(self) -> dict[str, LocalUse]:
        out = {}
        for name, slot in self.found.items():
            dynamic = slot["dynamic"]
            used = slot["value"] > 0
            out[name] = LocalUse(
                value_uses=slot["value"], type_uses=slot["type"], jsx_uses=slot["jsx"],
                dynamic_span=dynamic[0] if dynamic else None, dynamic_text=dynamic[1] if dynamic else "",
                dynamic_how=dynamic[2] if dynamic else "", deferred=used and slot["deferred"],
                deferred_in=slot["where"] if used and slot["deferred"] else "",
                server_only=used and slot["server"],
            )
        return out
