"""Where code repeats, and what changes from one iteration to the next, in one file's tree.

`Scope(ctx)` answers, for Python and JavaScript/TypeScript alike:
- `loops(node)`: the loops (innermost first) whose every iteration runs `node`, walking up
  to the function boundary; an inline callback is transparent, an iteration callback
  (`xs.map(x => …)`, `map(lambda x: …, xs)`, `key=lambda …`) is itself a loop;
- `info(loop)`: the names a loop rebinds and the objects it mutates;
- `bindings(name, node)`: how a name is bound in the nearest scope that binds it;
- `names(node)`: the variable names an expression reads.
Every walk is iterative; results are cached per node.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.jsvalues import FUNCTION_NODES
from perfsense.scanner.parse import language, query
from perfsense.scanner.parse.walk import iter_nodes

PY_COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension",
                               "generator_expression"})
PY_FUNCTIONS = frozenset({"function_definition", "lambda", "class_definition"})
JS_ITERATION = frozenset({"forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "flatMap",
                          "find", "findIndex", "findLast", "findLastIndex", "from", "sort"})
PY_ITERATION_CALLS = frozenset({"map", "filter"})
PY_PER_ITEM_KEYWORDS = frozenset({"key"})
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
MAX_UP = 200
PY_LOOPS = frozenset({"for_statement", "while_statement", "lambda"}) | PY_COMPREHENSIONS
JS_LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"}) | FUNCTION_NODES
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


@dataclass(frozen=True, slots=True)
class Site:
    """One binding of a name: `kind` is assign | augmented | param | for | with | def | import | declare."""

    kind: str
    node: ts.Node  # the statement / declarator / parameter
    value: ts.Node | None = None
    annotation: ts.Node | None = None


class Scope:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.py = ctx.language == "python"
        self._info: dict[int, LoopInfo] = {}
        self._bindings: dict[int, dict[str, list[Site]]] = {}
        self._loops: dict[tuple[int, int, bool], list[LoopCtx]] = {}
        self._exits: dict[int, dict[int, str]] = {}
        self._node_loops: dict[int, list[LoopCtx]] = {}
        self._queries: dict[frozenset[str], ts.Query] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._functions: dict[int, ts.Node] = {}
        self._ranges: tuple[list[int], list[int]] | None = None

    # --- basics ----------------------------------------------------------------------
    def find(self, node: ts.Node, types: frozenset[str], in_loops: bool = False) -> list[ts.Node]:
        """`node` and its descendants of the given types, in document order (a tree-sitter
        query, so the walk runs in C); with `in_loops`, only those that meet a loop."""
        compiled = self._queries.get(types)
        if compiled is None:
            grammar = language(self.ctx.source.language)
            known = [kind for kind in sorted(types) if grammar.id_for_node_kind(kind, True)]
            compiled = self._queries[types] = query(self.ctx.source.language,
                                                    "[" + " ".join(f"({k})" for k in known) + "] @node")
        if not in_loops:
            found = ts.QueryCursor(compiled).captures(node).get("node", [])
            return sorted(found, key=lambda n: (n.start_byte, -n.end_byte))
        self._in_loop_range(node)
        unique: dict[int, ts.Node] = {}
        for start, end in zip(*self._ranges):
            cursor = ts.QueryCursor(compiled)
            cursor.set_byte_range(start, end)
            for found in cursor.captures(node).get("node", []):
                unique[found.id] = found
        return sorted(unique.values(), key=lambda n: (n.start_byte, -n.end_byte))

    def text(self, node: ts.Node | None, limit: int = 200) -> str:
        return self.ctx.text(node, limit)

    def is_function(self, node: ts.Node) -> bool:
        return node.type in PY_FUNCTIONS if self.py else (node.type in FUNCTION_NODES or node.type in (
            "class_declaration", "class"))

    def function_of(self, node: ts.Node) -> ts.Node:
        """The innermost function (or the module) containing `node`."""
        known = self._functions.get(node.id)
        if known is None:
            known = self._functions[node.id] = self._function_of(node)
        return known

    def _function_of(self, node: ts.Node) -> ts.Node:
        current = node.parent
        for _ in range(MAX_UP):
            if current is None or current.parent is None:
                return current or node
            if self.is_function(current) and current.type not in ("class_definition", "class_declaration", "class"):
                return current
            current = current.parent
        return node

    # --- loops -----------------------------------------------------------------------
    def loops(self, node: ts.Node) -> list[LoopCtx]:
        known = self._node_loops.get(node.id)
        if known is None:
            known = self._node_loops[node.id] = self._walk_loops(node) if self._in_loop_range(node) else []
        return known

    def _in_loop_range(self, node: ts.Node) -> bool:
        """Whether some loop statement, comprehension or iteration callback contains `node`
        (a quick test before walking up the tree)."""
        if self._ranges is None:
            spans = []
            for loop in self.find(self.ctx.root, PY_LOOPS if self.py else JS_LOOPS):
                if loop.type in FUNCTION_NODES or loop.type == "lambda":
                    if self.callback_role(loop) != "iteration":
                        continue
                spans.append((loop.start_byte, loop.end_byte))
            merged: list[list[int]] = []
            for start, end in sorted(spans):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._ranges = ([m[0] for m in merged], [m[1] for m in merged])
        starts, ends = self._ranges
        index = bisect.bisect_right(starts, node.start_byte) - 1
        return index >= 0 and node.end_byte <= ends[index]

    def _walk_loops(self, node: ts.Node) -> list[LoopCtx]:
        out: list[LoopCtx] = []
        child, parent = node, node.parent
        skip, leaves_function = 0, False  # loops a `break` / `return` after `node` leaves
        pending: list[tuple[tuple[int, int, bool], int]] = []  # memo keys of statements passed
        for _ in range(MAX_UP):
            if parent is None:
                break
            if parent.type in ("block", "statement_block"):
                key = (child.id, skip, leaves_function)
                known = self._loops.get(key)
                if known is not None:
                    out.extend(known)
                    break
                pending.append((key, len(out)))
                exit_kind = self._exit_after(parent, child)
                skip = skip or (1 if exit_kind == "break" else 0)
                leaves_function = leaves_function or exit_kind == "return"
            kind = self._loop_kind(parent, child)
            if kind and (skip or leaves_function):
                skip = max(skip - 1, 0)
            elif kind:
                out.append(LoopCtx(parent, kind))
            if self.is_function(parent):
                leaves_function = False
                role = self.callback_role(parent)
                if role is None:
                    break
                if role == "iteration":
                    out.append(LoopCtx(parent, "callback"))
            child, parent = parent, parent.parent
        for key, start in pending:
            self._loops[key] = out[start:]
        return out

    def _exit_after(self, block: ts.Node, child: ts.Node) -> str:
        """'break' or 'return' when the statement holding `child`, or one after it in
        `block`, leaves the loop (or the function): what comes before runs once."""
        table = self._exits.get(block.id)
        if table is None:
            table = self._exits[block.id] = {}
            after = ""
            for statement in reversed(block.named_children):
                if statement.type == "break_statement":
                    after = "break"
                elif statement.type in ("return_statement", "raise_statement", "throw_statement"):
                    after = "return"
                table[statement.id] = after
        return table.get(child.id, "")

    def _loop_kind(self, loop: ts.Node, child: ts.Node) -> str:
        kind = loop.type
        if self.py:
            if kind == "for_statement" and _is_field(loop, child, ("body",)):
                return "async-for" if loop.children and loop.children[0].type == "async" else "for"
            if kind == "while_statement" and _is_field(loop, child, ("body", "condition")):
                return "while"
            if kind in PY_COMPREHENSIONS:
                first = next((c for c in loop.named_children if c.type == "for_in_clause"), None)
                return "" if first is not None and first.id == child.id else "comprehension"
            return ""
        if kind == "for_statement" and _is_field(loop, child, ("body", "condition", "increment")):
            return "for"
        if kind == "for_in_statement" and _is_field(loop, child, ("body",)):
            operator = loop.child_by_field_name("operator")
            if any(c.type == "await" for c in loop.children[:3]):
                return "for-await"
            return "for-of" if operator is not None and operator.type == "of" else "for-in"
        if kind in ("while_statement", "do_statement") and _is_field(loop, child, ("body", "condition")):
            return "while" if kind == "while_statement" else "do"
        return ""

    def callback_role(self, func: ts.Node) -> str | None:
        """'iteration' for a callback run once per item, 'inline' for another inline
        callback (transparent), None for a function defined on its own."""
        parent = func.parent
        keyword = ""
        if self.py and parent is not None and parent.type == "keyword_argument":
            keyword = self.text(parent.child_by_field_name("name"))
            parent = parent.parent
        if parent is None or parent.type not in ("argument_list", "arguments"):
            return None
        call = parent.parent
        if call is None or call.type not in ("call", "call_expression", "new_expression"):
            return None
        callee = call.child_by_field_name("function") or call.child_by_field_name("constructor")
        name = self.text(callee).rsplit(".", 1)[-1] if callee is not None else ""
        if self.py:
            if keyword in PY_PER_ITEM_KEYWORDS or (name in PY_ITERATION_CALLS and callee.type == "identifier"):
                return "iteration"
            return "inline"
        if callee is not None and callee.type == "member_expression" and name in JS_ITERATION:
            return "iteration"
        return "inline"

    def region(self, loop: ts.Node) -> ts.Node:
        """The node holding what one iteration runs (for callbacks: the function body)."""
        if loop.type in FUNCTION_NODES or loop.type == "lambda":
            return loop.child_by_field_name("body") or loop
        return loop

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

    # --- bindings --------------------------------------------------------------------
    def bindings(self, name: str, node: ts.Node) -> tuple[ts.Node, list[Site]]:
        """The nearest scope (function or module root) binding `name`, and its bindings."""
        scope = self.function_of(node)
        for _ in range(64):
            table = self._scope_table(scope)
            if name in table or scope.parent is None:
                return scope, table.get(name, [])
            scope = self.function_of(scope)
        return scope, []

    def is_module(self, scope: ts.Node) -> bool:
        return scope.parent is None

    def _scope_table(self, scope: ts.Node) -> dict[str, list[Site]]:
        table = self._bindings.get(scope.id)
        if table is not None:
            return table
        from perfsense.rules.inefficient_loop.bindings import collect_bindings

        table = self._bindings[scope.id] = collect_bindings(self, scope)
        return table


def _target_names(scope: Scope, node: ts.Node | None) -> list[str]:
    info = LoopInfo()
    scope._bind_target(node, info)
    return sorted(info.rebound)


def _is_field(parent: ts.Node, child: ts.Node, fields: tuple[str, ...]) -> bool:
    for name in fields:
        found = parent.child_by_field_name(name)
        if found is not None and found.id == child.id:
            return True
    return False


def _field_of(parent: ts.Node, child: ts.Node) -> str:
    for index, node in enumerate(parent.children):
        if node.id == child.id:
            return parent.field_name_for_child(index) or ""
    return ""
