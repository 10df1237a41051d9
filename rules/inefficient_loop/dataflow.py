"""What changes from one iteration of a loop to the next, and what an expression reads.

`Dataflow` is mixed into `Scope`: `info(loop)` (names a loop rebinds, objects it mutates),
`names(expr)`, `depends(expr, info)`, `elements_change(source, loop)`, parameter names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.scanner.facts.jsvalues import FUNCTION_NODES
from perfsense.scanner.parse.walk import iter_nodes

PY_COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension",
                               "generator_expression"})
PY_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "as_pattern_target",
                         "parenthesized_expression", "list_splat_pattern", "expression_list"})
JS_PATTERNS = frozenset({"array_pattern", "object_pattern", "pair_pattern", "assignment_pattern",
                         "rest_pattern", "shorthand_property_identifier_pattern",
                         "object_assignment_pattern", "required_parameter", "optional_parameter",
                         "formal_parameters"})
PY_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
                         "add", "discard", "sort", "reverse", "popitem", "appendleft", "popleft"})
JS_MUTATORS = frozenset({"push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "set",
                         "add", "delete", "clear", "copyWithin"})
PY_CHANGES = frozenset({"assignment", "augmented_assignment", "for_statement", "for_in_clause", "named_expression",
                        "as_pattern", "with_item", "function_definition", "lambda", "delete_statement", "call"})
JS_CHANGES = frozenset({"variable_declarator", "assignment_expression", "augmented_assignment_expression",
                        "for_in_statement", "update_expression", "catch_clause", "unary_expression",
                        "call_expression"}) | FUNCTION_NODES


@dataclass(frozen=True, slots=True)
class LoopCtx:
    node: ts.Node  # loop statement, comprehension, or iteration callback function
    kind: str  # for | async-for | while | do | comprehension | for-of | for-in | callback


@dataclass(slots=True)
class LoopInfo:
    rebound: set[str] = field(default_factory=set)  # names bound anew in the loop
    mutated: set[str] = field(default_factory=set)  # roots and dotted paths changed in place


class Dataflow:
    py: bool
    _info: dict[int, LoopInfo]
    _names: dict[int, frozenset[str]]

    # --- what a loop changes ---------------------------------------------------------
    def info(self, loop: LoopCtx | ts.Node) -> LoopInfo:
        node = loop.node if isinstance(loop, LoopCtx) else loop
        found = self._info.get(node.id)
        if found is None:
            found = self._info[node.id] = self._changes(node)
        return found

    def _changes(self, loop: ts.Node) -> LoopInfo:
        info = LoopInfo()
        for node in self.find(loop, PY_CHANGES if self.py else JS_CHANGES):
            kind = node.type
            if self.py:
                if kind in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
                    self._bind_target(node.child_by_field_name("left"), info)
                elif kind == "named_expression":
                    self._bind_target(node.child_by_field_name("name"), info)
                elif kind in ("as_pattern", "with_item") and node.child_by_field_name("alias") is not None:
                    self._bind_target(node.child_by_field_name("alias"), info)
                elif kind in ("function_definition", "lambda"):
                    info.rebound.update(self.param_names(node))
                elif kind == "delete_statement":
                    for target in node.named_children:
                        self._bind_target(target, info)
            else:
                if kind == "variable_declarator":
                    self._bind_target(node.child_by_field_name("name"), info)
                elif kind in ("assignment_expression", "augmented_assignment_expression", "for_in_statement"):
                    self._bind_target(node.child_by_field_name("left"), info)
                elif kind == "update_expression":
                    self._bind_target(node.child_by_field_name("argument"), info)
                elif kind in FUNCTION_NODES:
                    info.rebound.update(self.param_names(node))
                elif kind == "catch_clause" and node.child_by_field_name("parameter") is not None:
                    self._bind_target(node.child_by_field_name("parameter"), info)
                elif kind == "unary_expression" and node.children and node.children[0].type == "delete":
                    self._bind_target(node.child_by_field_name("argument"), info)
            if kind in ("call", "call_expression"):
                callee = node.child_by_field_name("function")
                if callee is not None and callee.type in ("attribute", "member_expression"):
                    method = callee.child_by_field_name("attribute" if self.py else "property")
                    if self.text(method) in (PY_MUTATORS if self.py else JS_MUTATORS):
                        self._mutate(callee.child_by_field_name("object"), info)
        return info

    def _bind_target(self, target: ts.Node | None, info: LoopInfo) -> None:
        if target is None:
            return
        patterns = PY_PATTERNS if self.py else JS_PATTERNS
        stack = [target]
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                info.rebound.add(self.text(node))
            elif node.type in ("attribute", "subscript", "member_expression", "subscript_expression"):
                self._mutate(node, info)
            elif node.type in patterns:
                stack.extend(node.named_children)
            elif node.type == "pair_pattern" or node.type == "object_assignment_pattern":
                stack.extend(node.named_children[1:])

    def _mutate(self, node: ts.Node | None, info: LoopInfo) -> None:
        """Record `a.b[c]` as mutated: its root `a` and each attribute prefix (`a.b`)."""
        current = node
        while current is not None and current.type in ("attribute", "subscript", "member_expression",
                                                        "subscript_expression", "parenthesized_expression"):
            if current.type in ("attribute", "member_expression"):
                info.mutated.add(self.text(current, 120))
            current = current.child_by_field_name("object") or current.child_by_field_name("value") \
                or (current.named_children[0] if current.named_children else None)
        if current is not None and current.type in ("identifier", "self", "this"):
            info.mutated.add(self.text(current))

    def param_names(self, func: ts.Node) -> list[str]:
        params = func.child_by_field_name("parameters") or func.child_by_field_name("parameter")
        if params is None:
            return []
        items = [params] if params.type == "identifier" else params.named_children
        return [name for param in items for name in self.param_names_of(param)]

    def param_names_of(self, param: ts.Node) -> list[str]:
        """Names bound by one parameter (type annotations and default values skipped)."""
        node: ts.Node | None = param
        if param.type in ("default_parameter", "typed_default_parameter"):
            node = param.child_by_field_name("name")
        elif param.type in ("required_parameter", "optional_parameter"):
            node = param.child_by_field_name("pattern")
        elif param.type == "assignment_pattern":
            node = param.child_by_field_name("left")
        elif param.type == "typed_parameter":
            node = param.named_children[0] if param.named_children else None
        out: list[str] = []
        stack = [node] if node is not None else []
        while stack:
            current = stack.pop()
            if current.type in ("identifier", "shorthand_property_identifier_pattern"):
                out.append(self.text(current))
            elif current.type in ("object_assignment_pattern", "assignment_pattern"):
                left = current.child_by_field_name("left")
                stack.extend([left] if left is not None else [])
            elif current.type == "pair_pattern":
                value = current.child_by_field_name("value")
                stack.extend([value] if value is not None else [])
            elif current.type not in ("type", "type_annotation", "property_identifier"):
                stack.extend(current.named_children)
        return out

    # --- reading ---------------------------------------------------------------------
    def names(self, node: ts.Node | None) -> set[str]:
        """Variable names read in an expression (attribute and property names, and names
        bound by lambdas and comprehensions inside it, excluded)."""
        if node is None:
            return set()
        if node.type == "identifier":
            return {self.text(node)}
        known = self._names.get(node.id)
        if known is not None:
            return set(known)
        out: set[str] = set()
        stack: list[tuple[ts.Node, frozenset[str]]] = [(node, frozenset())]
        while stack:
            current, bound = stack.pop()
            kind = current.type
            if kind in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"):
                parent = current.parent
                if self.py and parent is not None and (
                        (parent.type == "attribute" and _field_of(parent, current) == "attribute")
                        or (parent.type == "keyword_argument" and _field_of(parent, current) == "name")):
                    continue
                text = self.text(current)
                if text not in bound:
                    out.add(text)
                continue
            if kind in ("self", "this"):
                out.add(kind)
                continue
            if kind == "lambda" or kind in FUNCTION_NODES:
                bound = bound | frozenset(self.param_names(current))
            elif kind in PY_COMPREHENSIONS:
                for clause in current.named_children:
                    if clause.type == "for_in_clause":
                        bound = bound | frozenset(_target_names(self, clause.child_by_field_name("left")))
            stack.extend((child, bound) for child in current.named_children)
        self._names[node.id] = frozenset(out)
        return out

    def depends(self, node: ts.Node, info: LoopInfo, mutation: bool = True) -> bool:
        """The expression may change between iterations of the loop `info` describes."""
        if self.names(node) & info.rebound:
            return True
        if not mutation or not info.mutated:
            return False
        for part in iter_nodes(node):
            if part.type not in ("identifier", "attribute", "member_expression", "self", "this"):
                continue
            text = self.text(part, 400)
            for path in info.mutated:
                if text == path or text.startswith((path + ".", path + "[")) or path.startswith(text + "."):
                    return True
        return False

    def elements_change(self, source: ts.Node, loop: LoopCtx) -> bool:
        """A loop inside `loop` (or `loop` itself) walks `source` and changes its elements
        (`for item in xs: item.rank = …`): data derived from `source` is not invariant."""
        text = self.text(source, 400)
        info = self.info(loop)
        for node in iter_nodes(loop.node):
            targets: list[str] = []
            if node.type in ("for_statement", "for_in_statement", "for_in_clause"):
                right = node.child_by_field_name("right")
                if right is not None and self.text(right, 400) == text:
                    targets = sorted(self.names(node.child_by_field_name("left")))
            elif node.type in ("call", "call_expression"):
                callee = node.child_by_field_name("function")
                if callee is not None and callee.type == "member_expression" and \
                        self.text(callee.child_by_field_name("object"), 400) == text:
                    args = node.child_by_field_name("arguments")
                    func = args.named_children[0] if args is not None and args.named_children else None
                    targets = self.param_names(func)[:1] if func is not None and func.type in FUNCTION_NODES else []
            if any(t in info.mutated for t in targets):
                return True
        return False


def _target_names(scope: Dataflow, node: ts.Node | None) -> list[str]:
    info = LoopInfo()
    scope._bind_target(node, info)
    return sorted(info.rebound)


def _field_of(parent: ts.Node, child: ts.Node) -> str:
    for index, node in enumerate(parent.children):
        if node.id == child.id:
            return parent.field_name_for_child(index) or ""
    return ""
