"""Is a fresh copy made in a loop only read? Then one shared copy (or none) would do.

The copy must be bound to a name (`cfg = copy.deepcopy(x)`, `const t = structuredClone(x)`);
every later use of that name in the loop must read it: subscripts, attributes and calls of
non-mutating methods. Assigning into it, calling a mutating method on it or on a part of
it, deleting from it, or letting the whole copy escape (returned, stored, passed to a
call other than a few pure built-ins) means each iteration may need its own copy.
"""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.inefficient_loop.dataflow import JS_MUTATORS, PY_MUTATORS, LoopCtx, _field_of
from perfsense.rules.inefficient_loop.scope import Scope
from perfsense.scanner.parse.walk import iter_nodes

CHAIN = frozenset({"attribute", "subscript", "member_expression", "subscript_expression"})
PURE_CALLS = frozenset({"len", "str", "repr", "bool", "int", "float", "print", "isinstance", "sorted",
                        "json.dumps", "JSON.stringify", "String", "Number", "Boolean", "Object.keys",
                        "Object.values", "Object.entries", "console.log", "Array.isArray"})


def only_read(scope: Scope, call: ts.Node, loop: LoopCtx) -> bool:
    parent = call.parent
    if parent is not None and parent.type in ("await", "await_expression"):
        call, parent = parent, parent.parent
    if parent is None:
        return False
    if scope.py and parent.type == "assignment":
        target = parent.child_by_field_name("left")
    elif not scope.py and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
    else:
        return False
    if target is None or target.type != "identifier":
        return False
    name = scope.text(target)
    region = scope.region(loop.node)
    uses = [n for n in iter_nodes(region) if n.type == "identifier" and n.start_byte > target.end_byte
            and scope.text(n) == name and n.id != target.id]
    return all(_read(scope, use) for use in uses)


def _read(scope: Scope, use: ts.Node) -> bool:
    top = use
    parent = top.parent
    while parent is not None and parent.type in CHAIN and _field_of(parent, top) in ("object", "value"):
        top, parent = parent, parent.parent
    if parent is None:
        return True
    if scope.py and parent.type == "attribute" and _field_of(parent, top) == "attribute":
        return True  # `x.name` read of another object's attribute with the same name
    field = _field_of(parent, top)
    mutators = PY_MUTATORS if scope.py else JS_MUTATORS
    if parent.type in ("call", "call_expression") and field == "function":
        method = scope.text(top).rsplit(".", 1)[-1]
        return top.id != use.id and method not in mutators
    if parent.type in ("assignment", "augmented_assignment", "assignment_expression",
                       "augmented_assignment_expression") and field == "left":
        return False
    if parent.type in ("delete_statement", "update_expression", "pattern_list", "tuple_pattern"):
        return False
    if parent.type == "unary_expression" and parent.children and parent.children[0].type == "delete":
        return False
    if parent.type in ("argument_list", "arguments"):
        call = parent.parent
        callee = call.child_by_field_name("function") if call is not None else None
        return callee is not None and scope.text(callee) in PURE_CALLS
    if top.id == use.id and parent.type in ("return_statement", "yield", "assignment", "list", "tuple",
                                            "dictionary", "pair", "set", "array", "object",
                                            "variable_declarator", "spread_element", "keyword_argument",
                                            "expression_list", "assignment_expression"):
        return False
    return True
