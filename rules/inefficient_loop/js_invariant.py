"""JavaScript/TypeScript loop-invariant work: `.sort()` of unchanged data, `new RegExp`
of an invariant pattern, read-only deep clones, `Object.keys()` in a loop condition."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import Calls, code, describe, repeating, unwrap
from perfsense.rules.inefficient_loop.readonly import only_read
from perfsense.rules.inefficient_loop.scope import LoopCtx, Scope
from perfsense.scanner.parse.walk import iter_nodes

KEY_CALLS = frozenset({"Object.keys", "Object.values", "Object.entries", "Object.getOwnPropertyNames"})


class JsInvariant:
    sc: Scope
    calls: Calls

    def hit(self, rule: str, node: ts.Node, message: str, key: str = "") -> None:
        raise NotImplementedError

    def sort(self, node: ts.Node, receiver: ts.Node | None, values: list[ts.Node]) -> None:
        receiver = unwrap(receiver)
        if receiver is None:
            return
        loop = repeating(self.sc, node)
        if loop is None:
            return
        info = self.sc.info(loop)
        source = receiver
        if receiver.type == "array" and receiver.named_child_count == 1 and \
                receiver.named_children[0].type == "spread_element":
            source = receiver.named_children[0].named_children[0]
        elif receiver.type == "call_expression" and self.sc.text(receiver.child_by_field_name("function")) \
                .rsplit(".", 1)[-1] in ("slice", "concat"):
            source = receiver.child_by_field_name("function").child_by_field_name("object")
        if source is None or source.type not in ("identifier", "member_expression"):
            return
        if self.sc.depends(source, info, mutation=False) or any(self.sc.depends(v, info, False) for v in values):
            return
        if self._mutated_besides_sort(source, loop) or self.sc.elements_change(source, loop):
            return
        self.hit("invariant-work-in-loop", node,
                 f"`.sort()` sorts the same, unchanged `{code(self.sc, source, 40)}` again on every iteration of "
                 f"{describe(self.sc, loop)}; sort it once before the loop.")

    def _mutated_besides_sort(self, source: ts.Node, loop: LoopCtx) -> bool:
        text = self.sc.text(source)
        for node in iter_nodes(self.sc.region(loop.node)):
            if node.type == "call_expression":
                callee = node.child_by_field_name("function")
                if callee is not None and callee.type == "member_expression" and \
                        self.sc.text(callee.child_by_field_name("object")) == text and \
                        self.sc.text(callee.child_by_field_name("property")) not in ("sort", "slice", "concat",
                                                                                     "map", "filter", "includes"):
                    return True
            elif node.type in ("assignment_expression", "augmented_assignment_expression"):
                left = self.sc.text(node.child_by_field_name("left"))
                if left == text or left.startswith((text + ".", text + "[")):
                    return True
        return False

    def keys_in_condition(self, node: ts.Node) -> None:
        condition = node.child_by_field_name("condition")
        if condition is None:
            return
        loop = LoopCtx(node, "for")
        info = self.sc.info(loop)
        for call in iter_nodes(condition):
            if call.type != "call_expression" or self.calls.callee(call) not in KEY_CALLS:
                continue
            args = call.child_by_field_name("arguments")
            if args is None or args.named_child_count != 1 or self.sc.depends(args.named_children[0], info):
                continue
            self.hit("invariant-work-in-loop", call,
                     f"`{code(self.sc, call, 40)}` in the loop condition builds a new array of all keys before "
                     f"every iteration: O(n) per step, O(n²) for the loop. Compute it once before the loop.")

    def new(self, node: ts.Node) -> None:
        if self.calls.callee(node) != "RegExp":
            return
        args = node.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        loop = repeating(self.sc, node) if values else None
        if loop is None:
            return
        info = self.sc.info(loop)
        if any(self.sc.depends(v, info, mutation=False) or any(n.type == "call_expression" for n in iter_nodes(v))
               for v in values):
            return
        self.hit("invariant-work-in-loop", node,
                 f"`new RegExp({code(self.sc, values[0], 40)})` compiles the same pattern on every iteration of "
                 f"{describe(self.sc, loop)}; create it once before the loop (or at module level) and reuse it.")

    def clone(self, node: ts.Node, source: ts.Node, label: str) -> None:
        loop = repeating(self.sc, node)
        if loop is None or self.sc.depends(source, self.sc.info(loop)) or self.sc.elements_change(source, loop):
            return
        if any(n.type in ("call_expression", "await_expression") for n in iter_nodes(source)):
            return
        if not only_read(self.sc, node, loop):
            return
        self.hit("invariant-work-in-loop", node,
                 f"`{label}` deep-copies all of `{code(self.sc, source, 40)}` on every iteration of "
                 f"{describe(self.sc, loop)}, although the copy is only read; read it directly (or copy it "
                 f"once before the loop).")
