"""Per-file facts the n-plus-one rules need beyond the shared ones (kept in `facts.extra`).

- attribute reads (`order.customer.name`) inside loops, and reads rooted at a parameter
  or `self` in methods (model properties, serializer and admin methods);
- f-string interpolations of a name inside loops (they call `__str__`);
- calls and reads that run at most once per loop: followed, in their block, by an
  unconditional `break` (ends the innermost loop) or `return`/`raise`/`throw` (ends them all);
- the source text of each call's callee, for messages.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import tree_sitter as ts

from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts import jsvalues, pyvalues
from perfsense.scanner.facts.model import FileFacts, Step, Value
from perfsense.scanner.model import Span, flat_span
from perfsense.scanner.parse import captures, in_document_order, shared
from perfsense.scanner.untouched import Edit, top_function

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
    exits: dict[int, str] = field(default_factory=dict)  # Call.id -> "break" | "return"
    texts: dict[int, str] = field(default_factory=dict)  # Call.id -> callee source text, when not callee.text
    arguments: dict[int, str] = field(default_factory=dict)  # Call.id -> argument source text


PY: dict[str, Any] = {"attr": "attribute", "call": "call", "block": "block", "exits": {
    "break_statement": "break", "return_statement": "return", "raise_statement": "return"},
      "captured": {"call": frozenset({"call"}), "attr": frozenset({"attribute", "interpolation"})}}
JS: dict[str, Any] = {"attr": "member_expression", "call": "call_expression", "block": "statement_block", "exits": {
    "break_statement": "break", "return_statement": "return", "throw_statement": "return"},
      "captured": {"call": frozenset({"call_expression", "new_expression"}), "attr": frozenset({"member_expression"})}}
for _family, _syntax in (("python", PY), ("javascript", JS)):
    # the same nodes from a query of one function's range (an edit), or from the extraction's
    # walk of the whole file (see parse.shared)
    _syntax["query"] = " ".join(f"({kind}) @{name}" for name, types in _syntax["captured"].items()
                                for kind in sorted(types))
    for _types in _syntax["captured"].values():
        shared.want(_family, _types)
FUNCTION_TYPES = frozenset({"function_definition", "lambda", *jsvalues.FUNCTION_NODES})
LOOP_TYPES = frozenset({"for_statement", "while_statement", "for_in_statement", "do_statement",
                        *pyvalues.COMPREHENSIONS})
ASSIGN_TYPES = frozenset({"assignment", "augmented_assignment", "assignment_expression",
                          "augmented_assignment_expression"})


def collect(ctx: FileContext) -> Collected:
    collector = _Collector(ctx)
    if ctx.edit is not None:
        spliced = collector.run_edited(ctx.edit)
        if spliced is not None:
            return spliced
    return collector.run()


class _Collector:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.facts: FileFacts = ctx.facts
        self.lang = PY if ctx.language == "python" else JS
        self.functions = {f.span: f.id for f in self.facts.functions}
        self.loops: dict[Span, list[int]] = {}
        for loop in self.facts.loops:
            self.loops.setdefault(loop.span, []).append(loop.id)
        self.calls = {c.span: c.id for c in self.facts.calls}
        self.methods = {f.id for f in self.facts.functions if f.class_name is not None}
        self.reads: list[Read] = []
        self.exits: list[tuple[int, str]] = []
        self.texts: list[tuple[int, str]] = []
        self.arguments: list[tuple[int, str]] = []

    def run(self) -> Collected:
        self._visit()
        return Collected(tuple(self.reads[:MAX_READS]), dict(self.exits), dict(self.texts),
                         dict(self.arguments))

    def run_edited(self, edit: Edit) -> Collected | None:
        """The collection of a document's new version from its previous one, when only one
        top-level Python function changed: that function's nodes are collected again, the
        rest is taken over with call and loop ids renumbered and lines moved. None when the
        parts do not line up (then the whole file is collected)."""
        old, new = edit.previous.facts, self.facts
        before = next((v for v in old.extra.values() if isinstance(v, Collected)), None)
        if before is None or self.lang is not PY or len(before.reads) >= MAX_READS:
            return None
        inside = {fn.id for fn in new.functions if top_function(new, fn.id) == edit.holder}
        calls = _Renumber.of([c.id for c in old.calls if c.func in inside], [c.id for c in new.calls if c.func in inside])
        loops = _Renumber.of([lp.id for lp in old.loops if lp.func in inside], [lp.id for lp in new.loops if lp.func in inside])
        if calls is None or loops is None:
            return None
        old_holder, holder = old.functions[edit.holder].span, new.functions[edit.holder].span
        source = self.ctx.source
        self._visit(within=(source.offset(holder.start), source.offset(holder.end)))
        reads: list[Read] = []
        for read in before.reads:
            if read.func in inside:
                continue
            if read.span.start.line > old_holder.end.line:
                read = replace(read, loop=loops.map(read.loop), span=_moved(read.span, edit.lines))
            elif not read.span.end <= old_holder.start:
                return None  # (neither before nor after the function: not a layout we splice)
            reads.append(read)
        cut = next((i for i, r in enumerate(reads) if r.span.start.line > holder.end.line), len(reads))
        reads[cut:cut] = self.reads
        if len(reads) >= MAX_READS:
            return None
        return Collected(tuple(reads), calls.merge(before.exits, self.exits), calls.merge(before.texts, self.texts),
                         calls.merge(before.arguments, self.arguments))

    def _visit(self, within: tuple[int, int] | None = None) -> None:
        """Collect the calls and reads of the file (or of one byte range of it)."""
        self.callback_loops = {lp.func: lp.id for lp in self.facts.loops if lp.kind == "callback"}
        self.context: dict[int, tuple[int, int | None]] = {}  # node id -> (func, loop), memoised
        calls = (self.lang["call"], "new_expression")
        for _name, node in self._captures(within):
            if node.type in calls:
                self._call(node, self._key(node))
            elif self._maximal(node):
                self._read(node)

    def _captures(self, within: tuple[int, int] | None) -> Iterable[tuple[str, ts.Node]]:
        """The query's (name, node) pairs as `parse.captures` gives them (document order)."""
        lang, root = self.ctx.language, self.ctx.root
        if within is not None:
            return captures(lang, self.lang["query"], root, within)
        pairs = [(name, node) for name, types in self.lang["captured"].items()
                 for node in shared.nodes(lang, root, types, ordered=False)]
        return in_document_order(pairs)

    def _key(self, node: ts.Node) -> Span:
        return self.ctx.source.node_span(node)

    def _where(self, node: ts.Node) -> tuple[int, int | None]:
        """(Function.id, innermost Loop.id) of the code at `node`, walking up the tree."""
        loop: int | None = None
        child, parent = node, node.parent
        visited: list[int] = []
        while parent is not None:
            known = self.context.get(child.id)
            if known is not None and loop is None:
                result = known
                break
            visited.append(child.id)
            kind = parent.type
            if kind in FUNCTION_TYPES:
                func = self.functions.get(self._key(parent))
                if func is not None:
                    result = (func, loop if loop is not None else self.callback_loops.get(func))
                    break
            elif loop is None and kind in LOOP_TYPES:
                ids = self.loops.get(self._key(parent))
                if ids:
                    loop = self._loop_of(parent, child, ids)
            child, parent = parent, parent.parent
        else:
            result = (0, loop)
        if loop is None:
            for node_id in visited:  # only loop-free paths are shared (a loop depends on the child)
                self.context[node_id] = result
        return result

    def _loop_of(self, node: ts.Node, child: ts.Node, ids: list[int]) -> int | None:
        """The loop of `node` (a loop statement or comprehension) that repeats its `child`."""
        if node.type in pyvalues.COMPREHENSIONS:
            clauses = [c.id for c in node.named_children if c.type == "for_in_clause"]
            if child.id in clauses:
                index = clauses.index(child.id)
                return ids[min(index - 1, len(ids) - 1)] if index > 0 else None
            return ids[-1]
        alternative = node.child_by_field_name("alternative")  # Python's `else:` runs once, after the loop
        if node.type in ("while_statement", "do_statement"):
            return None if alternative is not None and child.id == alternative.id else ids[0]
        once = {c.id for c in (node.child_by_field_name("left"), node.child_by_field_name("right"),
                               node.child_by_field_name("initializer"), alternative) if c is not None}
        return None if child.id in once else ids[0]

    def _maximal(self, node: ts.Node) -> bool:
        if node.type == "interpolation":
            return True
        parent = node.parent
        if parent is None:
            return True
        if parent.type == self.lang["attr"] and parent.child_by_field_name("object") == node:
            return False
        if parent.type in (self.lang["call"], "new_expression") and \
                (parent.child_by_field_name("function") or parent.child_by_field_name("constructor")) == node:
            return False  # a callee: the call covers it
        return not (parent.type in ASSIGN_TYPES and parent.child_by_field_name("left") == node)

    # --- calls ---------------------------------------------------------------------------
    def _call(self, node: ts.Node, key: Span) -> None:
        call_id = self.calls.get(key)
        if call_id is None:
            return
        loop = self.facts.calls[call_id].loop
        if loop is None and self.facts.functions[self.facts.calls[call_id].func].callback_of is not None:
            loop = self._where(node)[1]
        function = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        if function is not None:
            text = self.ctx.text(function, 300)
            if text != self.facts.calls[call_id].callee.text:  # else `call_text` falls back to it
                self.texts.append((call_id, text))
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
    def _read(self, node: ts.Node) -> None:
        if len(self.reads) >= MAX_READS:
            return
        func, loop = self._where(node)
        if node.type == "interpolation":
            if loop is not None:
                self._interpolation(node, func, loop)
            return
        if loop is None and func not in self.methods:
            return
        raw = self._value(node, func)
        if raw is None or raw.root.startswith("<"):
            return
        self.reads.append(Read(func, loop, raw, self.ctx.source.node_span(node), self.ctx.text(node, 80),
                               self._exit(node) if loop is not None else ""))

    def _interpolation(self, node: ts.Node, func: int, loop: int | None) -> None:
        expr = node.named_children[0] if node.named_children else None
        if expr is None or expr.type not in ("identifier", "attribute"):
            return
        raw = pyvalues.value_of(expr, func, self.ctx.source).value
        if raw.root.startswith("<"):
            return
        self.reads.append(Read(func, loop, raw.extend(Step("__str__")), self.ctx.source.node_span(expr),
                               self.ctx.text(expr, 80), self._exit(node)))

    def _value(self, node: ts.Node, func: int) -> Value | None:
        module = pyvalues if self.ctx.language == "python" else jsvalues
        value = module.value_of(node, func, self.ctx.source).value
        return value if value.steps else None


@dataclass(frozen=True, slots=True)
class _Renumber:
    """Ids (of calls or loops) after an edit that replaced the contiguous block `start` ..
    `start + old_count` by `new_count` ids; ids after the block move by the difference."""

    start: int
    old_count: int
    new_count: int

    @classmethod
    def of(cls, old_ids: list[int], new_ids: list[int]) -> _Renumber | None:
        start = (old_ids or new_ids or [0])[0]
        if old_ids != list(range(start, start + len(old_ids))) or new_ids != list(range(start, start + len(new_ids))):
            return None  # not one block, or not at the same place
        return cls(start, len(old_ids), len(new_ids))

    def map(self, old_id: int | None) -> int | None:
        if old_id is None or old_id < self.start:
            return old_id
        return old_id + self.new_count - self.old_count

    def merge(self, before: dict[int, str], inside: list[tuple[int, str]]) -> dict[int, str]:
        """Entries by new id, in id order: those before the block, the block's, those after."""
        out = {key: value for key, value in before.items() if key < self.start}
        out.update(inside)
        end = self.start + self.old_count
        out.update((self.map(key), value) for key, value in before.items() if key >= end)
        return out


def _moved(span: Span, lines: int) -> Span:
    return flat_span(span.start.line + lines, span.start.column, span.end.line + lines, span.end.column)
