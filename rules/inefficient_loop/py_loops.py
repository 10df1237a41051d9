"""Python loop-shaped checks: nested-loop joins, searches in comprehensions, loops that
only append, `range(len(x))`, row-wise pandas loops, and helpers that scan a parameter."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import Calls, Hit, code, describe, is_small, repeating
from perfsense.rules.inefficient_loop.joins import JoinCheck, body_statements, equality
from perfsense.rules.inefficient_loop.scope import PY_COMPREHENSIONS, LoopCtx, Scope
from perfsense.scanner.parse.walk import iter_nodes

ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**"})
ROW_NODES = frozenset({"binary_operator", "unary_operator", "parenthesized_expression", "subscript",
                       "attribute", "identifier", "integer", "float", "string", "string_start",
                       "string_content", "string_end"})


class PyLoops:
    def __init__(self, scope: Scope, calls: Calls, out: list[Hit], joins: JoinCheck) -> None:
        self.sc = scope
        self.calls = calls
        self.out = out
        self.joins = joins

    def hit(self, rule: str, node: ts.Node, message: str) -> None:
        self.out.append(Hit(rule, self.sc.ctx.span(node), message))

    types = frozenset({"for_statement", "call"}) | PY_COMPREHENSIONS

    def visit(self, node: ts.Node) -> None:
        if node.type == "for_statement":
            self.for_statement(node)
        elif node.type in PY_COMPREHENSIONS:
            self.comprehension(node)
        elif node.type == "call":
            self.row_apply(node)

    def for_statement(self, node: ts.Node) -> None:
        right = node.child_by_field_name("right")
        left = node.child_by_field_name("left")
        body = node.child_by_field_name("body")
        if right is None or left is None or body is None:
            return
        self.joins.loop_statement(node, left, right, body)
        self.append_only(node, left, right, body)
        self.range_len(node, left, right, body)
        self.iterrows(node, left, right, body)

    def comprehension(self, node: ts.Node) -> None:
        clauses = [c for c in node.named_children if c.type == "for_in_clause"]
        conditions = [c for c in node.named_children if c.type == "if_clause"]
        if len(clauses) != 1 or len(conditions) != 1:
            return
        right = clauses[0].child_by_field_name("right")
        left = clauses[0].child_by_field_name("left")
        if right is None or left is None or right.type != "identifier":
            return
        condition = conditions[0].named_children[0] if conditions[0].named_children else None
        match = equality(self.sc, condition, set(self.sc.names(left)))
        if match is None:
            return
        loop = repeating(self.sc, node)
        if loop is None:
            return
        info = self.sc.info(loop)
        if self.sc.depends(right, info, mutation=False) or not self.sc.names(match.other_side) & info.rebound:
            return
        if not self.joins.local_collection(right):
            return
        self.hit("linear-search-in-loop", node,
                 f"`{code(self.sc, right, 40)}` is scanned in full for every item of "
                 f"{describe(self.sc, loop)} to find `{code(self.sc, match.element_side, 40)} == "
                 f"{code(self.sc, match.other_side, 40)}`: O(n·m). Index `{code(self.sc, right, 40)}` by that "
                 f"key in a dict once before the loop and look the match up.")

    # --- loops that could be a comprehension -----------------------------------------
    def append_only(self, node: ts.Node, left: ts.Node, right: ts.Node, body: ts.Node) -> None:
        statements = body_statements(body)
        if len(statements) != 1 or node.child_by_field_name("alternative") is not None:
            return
        if node.children and node.children[0].type == "async":
            return
        call = statements[0].named_children[0] if statements[0].type == "expression_statement" \
            and statements[0].named_children else None
        if call is None or call.type != "call":
            return
        function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is None or args is None or function.type != "attribute" or \
                self.sc.text(function.child_by_field_name("attribute")) != "append":
            return
        target = function.child_by_field_name("object")
        values = [a for a in args.named_children if a.type != "comment"]
        if target is None or target.type != "identifier" or len(values) != 1 or values[0].type == "keyword_argument":
            return
        name = self.sc.text(target)
        if any(n.type in ("call", "await", "yield", "lambda", "named_expression") for n in iter_nodes(values[0])):
            return
        if name in self.sc.names(values[0]) or is_small(self.sc, LoopCtx(node, "for")):
            return
        before = node.prev_named_sibling
        init = before.named_children[0] if before is not None and before.type == "expression_statement" \
            and before.named_children else None
        if init is None or init.type != "assignment" or self.sc.text(init.child_by_field_name("left")) != name:
            return
        value = init.child_by_field_name("right")
        if value is None or value.type != "list" or value.named_child_count:
            return
        self.hit("append-only-loop", node,
                 f"this loop only appends `{code(self.sc, values[0], 40)}` to `{name}`, one `append` call "
                 f"per item; `{name} = [{code(self.sc, values[0], 30)} for {code(self.sc, left, 20)} in "
                 f"{code(self.sc, right, 30)}]` builds the same list in one pass, without the method "
                 f"lookup and call per item.")

    def range_len(self, node: ts.Node, left: ts.Node, right: ts.Node, body: ts.Node) -> None:
        if left.type != "identifier" or right.type != "call":
            return
        if self.sc.text(right.child_by_field_name("function")) != "range":
            return
        args = right.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        if len(values) != 1 or values[0].type != "call" or \
                self.sc.text(values[0].child_by_field_name("function")) != "len":
            return
        inner_args = values[0].child_by_field_name("arguments")
        seq = inner_args.named_children[0] if inner_args is not None and inner_args.named_child_count == 1 else None
        if seq is None or seq.type not in ("identifier", "attribute") or self.sc.text(seq) in ("self", "cls"):
            return
        index, seq_text = self.sc.text(left), self.sc.text(seq)
        uses = [n for n in iter_nodes(body) if n.type == "identifier" and self.sc.text(n) == index]
        if not uses or self.sc.depends(seq, self.sc.info(LoopCtx(node, "for"))):
            return
        for use in uses:
            parent = use.parent
            if parent is None or parent.type != "subscript" or self.sc.text(parent.child_by_field_name("value")) \
                    != seq_text or parent.child_by_field_name("subscript") != use:
                return
            holder = parent.parent
            if holder is not None and holder.type in ("assignment", "augmented_assignment") and \
                    holder.child_by_field_name("left") == parent:
                return
        func = self.sc.function_of(node)
        if any(n.type == "identifier" and self.sc.text(n) == index and n.start_byte >= node.end_byte
               for n in iter_nodes(func)):
            return
        self.hit("range-len-loop", node,
                 f"`range(len({seq_text}))` is only used to index `{seq_text}[{index}]`; iterate "
                 f"`for item in {seq_text}:` directly, without an index lookup per item.")

    # --- pandas ----------------------------------------------------------------------
    def iterrows(self, node: ts.Node, left: ts.Node, right: ts.Node, body: ts.Node) -> None:
        if right.type != "call":
            return
        function = right.child_by_field_name("function")
        if function is None or function.type != "attribute":
            return
        method = self.sc.text(function.child_by_field_name("attribute"))
        if method not in ("iterrows", "itertuples"):
            return
        names = self.sc.names(left)
        row = names if method == "itertuples" else set(self.sc.names(left.named_children[-1])) \
            if left.named_children else set()
        statements = body_statements(body)
        if not statements or len(statements) > 4:
            return
        arithmetic = None
        for statement in statements:
            inner = statement.named_children[0] if statement.type == "expression_statement" and \
                statement.named_children else None
            if inner is None or inner.type not in ("assignment", "augmented_assignment"):
                return
            value = inner.child_by_field_name("right")
            if value is None or any(n.type not in ROW_NODES for n in iter_nodes(value)):
                return
            if _row_arithmetic(self.sc, value, row):
                arithmetic = arithmetic or value
        if arithmetic is None:
            return
        frame = code(self.sc, function.child_by_field_name("object"), 30)
        self.hit("row-wise-dataframe-loop", node,
                 f"`{frame}.{method}()` runs Python code for every row to compute "
                 f"`{code(self.sc, arithmetic, 50)}`; one column expression (e.g. `df['a'] * df['b']`) "
                 f"computes it for all rows at once in vectorised code.")

    def row_apply(self, node: ts.Node) -> None:
        function, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is None or args is None or function.type != "attribute" or \
                self.sc.text(function.child_by_field_name("attribute")) != "apply":
            return
        values = [a for a in args.named_children if a.type != "comment"]
        axis = [a for a in values if a.type == "keyword_argument" and self.sc.text(a.child_by_field_name("name")) == "axis"]
        if not axis or self.sc.text(axis[0].child_by_field_name("value")) not in ("1", "'columns'", '"columns"'):
            return
        func = values[0] if values and values[0].type == "lambda" else None
        body = func.child_by_field_name("body") if func is not None else None
        if body is None or any(n.type not in ROW_NODES for n in iter_nodes(body)):
            return
        if not _row_arithmetic(self.sc, body, set(self.sc.param_names(func))):
            return
        self.hit("row-wise-dataframe-loop", node,
                 f"`.apply(…, axis=1)` calls the lambda once per row to compute `{code(self.sc, body, 50)}`; "
                 f"the same expression on whole columns (e.g. `df['a'] - df['b'] * df['c']`) computes it for "
                 f"all rows at once in vectorised code.")


def _row_arithmetic(scope: Scope, value: ts.Node, row: set[str]) -> bool:
    """An arithmetic operator with a field of the row as an operand."""
    for node in iter_nodes(value):
        if node.type != "binary_operator":
            continue
        op = node.child_by_field_name("operator")
        if op is None or scope.text(op) not in ARITHMETIC:
            continue
        for side in (node.child_by_field_name("left"), node.child_by_field_name("right")):
            if side is not None and side.type in ("subscript", "attribute") and scope.names(side) & row:
                return True
    return False

