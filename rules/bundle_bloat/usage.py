"""How a file uses the names it imports: in types only, statically, or dynamically; at
render time or only when the user acts. Part of the per-file stage (tree at hand)."""
from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from perfsense.scanner.model import Span
from perfsense.scanner.parse import query
from perfsense.scanner.parse.walk import ancestors
from perfsense.scanner.source import SourceFile

FUNCTIONS = frozenset({"arrow_function", "function_expression", "function_declaration", "function",
                       "generator_function", "generator_function_declaration", "method_definition"})
TYPE_CONTEXT = frozenset({"type_annotation", "type_query", "type_alias_declaration", "interface_declaration",
                          "type_arguments", "implements_clause", "extends_type_clause", "type_predicate",
                          "index_type_query", "abstract_class_declaration", "ambient_declaration",
                          "type_parameters", "opting_type_annotation", "omitting_type_annotation"})
DECLARING = frozenset({"jsx_closing_element", "import_specifier", "namespace_import", "import_clause", "required_parameter",
                       "optional_parameter", "formal_parameters", "export_specifier"})
ESCAPES = frozenset({"arguments", "spread_element", "pair", "array", "return_statement", "jsx_expression",
                     "spread_attribute", "jsx_spread_attribute"})
RENDER_HOOKS = frozenset({"useEffect", "useLayoutEffect", "useMemo", "useInsertionEffect", "useState",
                          "useReducer", "useSyncExternalStore", "computed", "watch", "onMounted",
                          "watchEffect", "createEffect", "createMemo", "onMount", "$effect", "$derived"})
LIFECYCLE = frozenset({"render", "constructor", "componentDidMount", "componentDidUpdate", "componentWillMount",
                       "getDerivedStateFromProps", "setup", "mounted", "created", "beforeMount", "data",
                       "ngOnInit", "ngAfterViewInit", "connectedCallback", "firstUpdated"})
TRANSPARENT = frozenset({"parenthesized_expression", "as_expression", "non_null_expression",
                         "satisfies_expression", "type_assertion"})
LITERAL_INDEX = frozenset({"string", "number"})
MAX_UP = 200
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
    """Identifier nodes whose text is one of `names`, in document order (one cached query;
    compiling a query per file would cost more than filtering)."""
    if not names:
        return []
    wanted = {name.encode() for name in names}
    found = ts.QueryCursor(query(src.language, IDENTIFIERS)).captures(root).get("id", [])
    return sorted((n for n in found if n.text in wanted), key=lambda n: n.start_byte)


def function_name(fn: ts.Node, src: SourceFile) -> str:
    """The name a function is known by: declaration, variable, property, JSX attribute."""
    name = fn.child_by_field_name("name")
    if name is not None:
        return _text(name, src)
    parent = fn.parent
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
    if parent.type == "jsx_expression" and parent.parent is not None and parent.parent.type == "jsx_attribute":
        return _text(parent.parent.named_children[0], src) if parent.parent.named_children else ""
    return ""


def _text(node: ts.Node | None, src: SourceFile, limit: int = 80) -> str:
    if node is None:
        return ""
    return src.byte_text(node.start_byte, node.end_byte, limit)


def _callee_name(call: ts.Node, src: SourceFile) -> str:
    function = call.child_by_field_name("function")
    return _text(function, src).rsplit(".", 1)[-1] if function is not None else ""


def deferral(node: ts.Node, src: SourceFile) -> tuple[bool, str, tuple[str, ...]]:
    """(runs only when the user acts, the function that defers it, names of every enclosing
    named function)."""
    names: list[str] = []
    verdict: tuple[bool, str] | None = None
    for up in ancestors(node):
        if up.type not in FUNCTIONS:
            continue
        name = function_name(up, src)
        if name:
            names.append(name)
        if verdict is not None:
            continue
        parent = up.parent
        if parent is not None and parent.type == "arguments" and parent.parent is not None \
                and parent.parent.type == "call_expression":
            callee = _callee_name(parent.parent, src)
            if callee in RENDER_HOOKS:
                verdict = (False, "")
            elif callee == "useCallback":
                verdict = (True, "a `useCallback` handler")
            continue
        if parent is not None and parent.type == "jsx_expression":
            handler = name.startswith("on") and name[2:3].isupper()
            verdict = (True, f"the `{name}` handler") if handler else (False, "")
        elif name and (name in LIFECYCLE or name[:1].isupper() or (name.startswith("use") and name[3:4].isupper())):
            verdict = (False, "")
        elif name:
            verdict = (True, f"`{name}()`")
    deferred, where = verdict if verdict is not None else (False, "")
    return deferred, where, tuple(names)


def _in_types(node: ts.Node) -> bool:
    for count, up in enumerate(ancestors(node)):
        if up.type in TYPE_CONTEXT:
            return True
        if count > MAX_UP or up.type in ("statement_block", "program", "class_body"):
            return False
    return False


def _classify(node: ts.Node, src: SourceFile) -> tuple[str, str, ts.Node]:
    """("jsx" | "static" | "dynamic" | "other", how, the expression that uses it) for one value use."""
    parent = node.parent
    while parent is not None and parent.type in TRANSPARENT and parent.named_children \
            and parent.named_children[0] == node:
        node, parent = parent, parent.parent
    if parent is None:
        return "other", "", node
    kind = parent.type
    if node.type == "shorthand_property_identifier":
        return ("dynamic", "passed on whole", parent) if kind == "object" else ("other", "", node)
    if kind in ("jsx_opening_element", "jsx_self_closing_element"):
        return "jsx", "", node
    if kind == "member_expression" and parent.child_by_field_name("object") == node:
        if parent.parent is not None and parent.parent.type in ("jsx_opening_element", "jsx_self_closing_element"):
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
        outer = parent.parent if kind == "arguments" and parent.parent is not None else node
        return "dynamic", "passed on whole", outer
    return "other", "", node


def local_uses(nodes: list[ts.Node], src: SourceFile, names: set[str],
               server_exports: frozenset[str]) -> dict[str, LocalUse]:
    """How each name in `names` is used in the file (`nodes`: their identifiers)."""
    found: dict[str, dict] = {n: {"value": 0, "type": 0, "jsx": 0, "deferred": True, "server": True,
                                  "dynamic": None, "where": ""} for n in names}
    for node in nodes:
        name = _text(node, src)
        slot = found.get(name)
        parent = node.parent
        if slot is None or parent is None or parent.type in DECLARING:
            continue
        if parent.type == "variable_declarator" and parent.child_by_field_name("name") == node:
            continue
        if _in_types(node):
            slot["type"] += 1
            continue
        slot["value"] += 1
        kind, how, use = _classify(node, src)
        if kind == "jsx":
            slot["jsx"] += 1
        if kind == "dynamic" and slot["dynamic"] is None:
            slot["dynamic"] = (src.span(use.start_byte, use.end_byte), _text(use, src, 60), how)
        deferred, where, enclosing = deferral(node, src)
        if not deferred:
            slot["deferred"] = False
        elif not slot["where"]:
            slot["where"] = where
        if not server_exports.intersection(enclosing):
            slot["server"] = False
    out = {}
    for name, slot in found.items():
        dynamic = slot["dynamic"]
        used = slot["value"] > 0
        out[name] = LocalUse(
            value_uses=slot["value"], type_uses=slot["type"], jsx_uses=slot["jsx"],
            dynamic_span=dynamic[0] if dynamic else None, dynamic_text=dynamic[1] if dynamic else "",
            dynamic_how=dynamic[2] if dynamic else "", deferred=used and slot["deferred"],
            deferred_in=slot["where"] if used and slot["deferred"] else "", server_only=used and slot["server"],
        )
    return out
