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
from dataclasses import dataclass

import tree_sitter as ts

from perfsense.rules.inefficient_loop.dataflow import PY_COMPREHENSIONS, Dataflow, LoopCtx, LoopInfo
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.jsvalues import FUNCTION_NODES
from perfsense.scanner.parse import document_order, language, query, shared

PY_FUNCTIONS = frozenset({"function_definition", "lambda", "class_definition"})
JS_ITERATION = frozenset({"forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "flatMap",
                          "find", "findIndex", "findLast", "findLastIndex", "from", "sort"})
PY_ITERATION_CALLS = frozenset({"map", "filter"})
PY_PER_ITEM_KEYWORDS = frozenset({"key"})
MAX_UP = 200
PY_LOOPS = frozenset({"for_statement", "while_statement", "lambda"}) | PY_COMPREHENSIONS
JS_LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"}) | FUNCTION_NODES
shared.want("python", PY_LOOPS)  # (the loops of the whole file are asked for in every file)
shared.want("javascript", JS_LOOPS)


@dataclass(frozen=True, slots=True)
class Site:
    """One binding of a name: `kind` is assign | augmented | param | for | with | def | import | declare."""

    kind: str
    node: ts.Node  # the statement / declarator / parameter
    value: ts.Node | None = None
    annotation: ts.Node | None = None


class Scope(Dataflow):
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
            if node == self.ctx.root:  # (the whole file: from the extraction's walk, see parse.shared)
                return shared.nodes(self.ctx.source.language, node, types)
            return document_order(ts.QueryCursor(compiled).captures(node).get("node", []))
        self._in_loop_range(node)
        unique: dict[int, ts.Node] = {}
        for start, end in zip(*self._ranges):
            cursor = ts.QueryCursor(compiled)
            cursor.set_byte_range(start, end)
            for found in cursor.captures(node).get("node", []):
                unique[found.id] = found
        return document_order(unique.values())

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


def _is_field(parent: ts.Node, child: ts.Node, fields: tuple[str, ...]) -> bool:
    for name in fields:
        found = parent.child_by_field_name(name)
        if found is not None and found.id == child.id:
            return True
    return False
