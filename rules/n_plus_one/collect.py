"""Per-file facts the n-plus-one rules need beyond the shared ones (kept in `facts.extra`).

- attribute reads (`order.customer.name`) inside loops, and reads rooted at a parameter
  or `self` in methods (model properties, serializer and admin methods);
- f-string interpolations of a name inside loops (they call `__str__`);
- calls and reads that run at most once per loop: followed, in their block, by an
  unconditional `break` (ends the innermost loop) or `return`/`raise`/`throw` (ends them all);
- the source text of each call's callee, for messages.
"""
from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts import jsvalues, pyvalues
from perfsense.scanner.facts.model import FileFacts, Step, Value
from perfsense.scanner.model import Span

MAX_READS = 20000


@dataclass(frozen=True, slots=True)
class Read:
    func: int
    loop: int | None
    value: Value  # unresolved: root as written
    span: Span
    text: str
    exit: str = ""  # "break" | "return" when the read runs at most once per loop


@dataclass(frozen=True, slots=True)
class Collected:
    reads: tuple[Read, ...] = ()
    exits: tuple[tuple[int, str], ...] = ()  # (Call.id, "break" | "return")
    texts: tuple[tuple[int, str], ...] = ()  # (Call.id, callee source text)
    arguments: tuple[tuple[int, str], ...] = ()  # (Call.id, argument source text)


PY = {"attr": "attribute", "call": "call", "block": "block", "exits": {
    "break_statement": "break", "return_statement": "return", "raise_statement": "return"}}
JS = {"attr": "member_expression", "call": "call_expression", "block": "statement_block", "exits": {
    "break_statement": "break", "return_statement": "return", "throw_statement": "return"}}
FUNCTION_TYPES = frozenset({"function_definition", "lambda", *jsvalues.FUNCTION_NODES})
LOOP_TYPES = frozenset({"for_statement", "while_statement", "for_in_statement", "do_statement",
                        *pyvalues.COMPREHENSIONS})
ASSIGN_TYPES = frozenset({"assignment", "augmented_assignment", "assignment_expression",
                          "augmented_assignment_expression"})


def collect(ctx: FileContext) -> Collected:
    return _Collector(ctx).run()


class _Collector:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.facts: FileFacts = ctx.facts
        self.lang = PY if ctx.language == "python" else JS
        self.functions = {(f.span.start, f.span.end): f.id for f in self.facts.functions}
        self.loops: dict[tuple, list[int]] = {}
        for loop in self.facts.loops:
            self.loops.setdefault((loop.span.start, loop.span.end), []).append(loop.id)
        self.calls = {(c.span.start, c.span.end): c.id for c in self.facts.calls}
        self.methods = {f.id for f in self.facts.functions if f.class_name is not None}
        self.reads: list[Read] = []
        self.exits: list[tuple[int, str]] = []
        self.texts: list[tuple[int, str]] = []
        self.arguments: list[tuple[int, str]] = []

    def run(self) -> Collected:
        callback_loops = {lp.func: lp.id for lp in self.facts.loops if lp.kind == "callback"}
        calls = (self.lang["call"], "new_expression")
        stack: list[tuple[ts.Node, int, int | None]] = [(self.ctx.root, 0, None)]
        while stack:
            node, func, loop = stack.pop()
            kind = node.type
            if kind in FUNCTION_TYPES:
                key = self._key(node)
                if key in self.functions:
                    func = self.functions[key]
                    loop = callback_loops.get(func)
            elif kind in calls:
                self._call(node, self._key(node), func, loop)
            elif kind == self.lang["attr"] or (kind == "interpolation" and loop is not None):
                self._read(node, func, loop)
            elif kind in LOOP_TYPES:
                key = self._key(node)
                if key in self.loops:
                    stack.extend(reversed(self._loop_children(node, func, loop, self.loops[key])))
                    continue
            stack.extend((child, func, loop) for child in reversed(node.named_children))
        return Collected(tuple(self.reads[:MAX_READS]), tuple(self.exits), tuple(self.texts),
                         tuple(self.arguments))

    def _key(self, node: ts.Node) -> tuple:
        span = self.ctx.span(node)
        return span.start, span.end

    def _loop_children(self, node: ts.Node, func: int, outer: int | None,
                       ids: list[int]) -> list[tuple[ts.Node, int, int | None]]:
        ids = [i for i in ids if self.facts.loops[i].func == func] or ids
        if node.type in pyvalues.COMPREHENSIONS:
            out = []
            current = outer
            clause_index = 0
            for child in node.named_children:
                if child.type == "for_in_clause":
                    out.append((child, func, current))
                    current = ids[min(clause_index, len(ids) - 1)]
                    clause_index += 1
            inner = ids[-1]
            out.extend((child, func, inner) for child in node.named_children if child.type != "for_in_clause")
            return out
        inner = ids[0]
        once = {c.id for c in (node.child_by_field_name("left"), node.child_by_field_name("right"),
                               node.child_by_field_name("initializer")) if c is not None}
        if node.type in ("while_statement", "do_statement"):
            once = set()
        return [(child, func, outer if child.id in once else inner) for child in node.named_children]

    # --- calls ---------------------------------------------------------------------------
    def _call(self, node: ts.Node, key: tuple, func: int, loop: int | None) -> None:
        call_id = self.calls.get(key)
        if call_id is None:
            return
        function = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        if function is not None:
            self.texts.append((call_id, self.ctx.text(function, 80)))
        arguments = node.child_by_field_name("arguments")
        if arguments is not None and arguments.named_child_count:
            self.arguments.append((call_id, self.ctx.text(arguments, 300)))
        if loop is not None:
            exit_kind = self._exit(node)
            if exit_kind:
                self.exits.append((call_id, exit_kind))

    def _exit(self, node: ts.Node) -> str:
        """How the loop around `node` ends right after it runs, if it always does."""
        current = node
        for _ in range(64):
            parent = current.parent
            if parent is None or parent.type in FUNCTION_TYPES or parent.type in LOOP_TYPES:
                return ""
            if parent.type in self.lang["exits"]:
                return self.lang["exits"][parent.type]
            if parent.type in (self.lang["block"], "switch_case", "switch_default"):
                sibling = current.next_named_sibling
                while sibling is not None:
                    kind = self.lang["exits"].get(sibling.type)
                    if kind:
                        return kind
                    sibling = sibling.next_named_sibling
            current = parent
        return ""

    # --- reads ---------------------------------------------------------------------------
    def _read(self, node: ts.Node, func: int, loop: int | None) -> None:
        if len(self.reads) >= MAX_READS or (loop is None and func not in self.methods):
            return
        if node.type == "interpolation":
            self._interpolation(node, func, loop)
            return
        parent = node.parent
        if parent is not None:
            if parent.type == self.lang["attr"] and parent.child_by_field_name("object") == node:
                return  # not maximal
            if parent.type in (self.lang["call"], "new_expression") and \
                    (parent.child_by_field_name("function") or parent.child_by_field_name("constructor")) == node:
                return  # a callee: the call covers it
            if parent.type in ASSIGN_TYPES and parent.child_by_field_name("left") == node:
                return
            if parent.type in ("delete_statement", "unary_expression") and self.ctx.language != "python" \
                    and parent.type == "unary_expression" and self.ctx.text(parent, 7).startswith("delete"):
                return
        raw = self._value(node, func)
        if raw is None or raw.root.startswith("<"):
            return
        self.reads.append(Read(func, loop, raw, self.ctx.span(node), self.ctx.text(node, 80),
                               self._exit(node) if loop is not None else ""))

    def _interpolation(self, node: ts.Node, func: int, loop: int | None) -> None:
        expr = node.named_children[0] if node.named_children else None
        if expr is None or expr.type not in ("identifier", "attribute"):
            return
        raw = pyvalues.value_of(expr, func, self.ctx.source).value
        if raw.root.startswith("<"):
            return
        self.reads.append(Read(func, loop, raw.extend(Step("__str__")), self.ctx.span(expr),
                               self.ctx.text(expr, 80), self._exit(node)))

    def _value(self, node: ts.Node, func: int) -> Value | None:
        module = pyvalues if self.ctx.language == "python" else jsvalues
        value = module.value_of(node, func, self.ctx.source).value
        return value if value.steps else None
