"""Python loop-invariant work (`re.compile`, `json.loads`, `sorted`, `copy.deepcopy` of
data the loop does not change), `sorted(x)[0]`, and accumulation by concatenation."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import Calls, code, describe, pattern_set, repeating
from perfsense.rules.inefficient_loop.readonly import only_read
from perfsense.rules.inefficient_loop.scope import Scope
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.parse.walk import iter_nodes

PURE_ARG_CALLS = frozenset({"re.escape", "str", "int", "float", "bool", "repr", "len"})


class PyRepeat:
    sc: Scope
    calls: Calls
    catalogs: Catalogs

    def hit(self, rule: str, node: ts.Node, message: str, key: str = "") -> None:
        raise NotImplementedError

    def invariant(self, node: ts.Node, callee: str, values: list[ts.Node]) -> None:
        compile_set = pattern_set(self.catalogs, "python", "compile")
        kind = ""
        if compile_set.match(callee):
            kind = "compile"
        elif callee == "sorted" and values:
            kind = "sort"
        elif pattern_set(self.catalogs, "python", "clone").match(callee) and values:
            kind = "clone"
        if not kind or not values:
            return
        loop = repeating(self.sc, node)
        if loop is None:
            return
        info = self.sc.info(loop)
        if any(self.sc.depends(v, info, mutation=kind != "compile") for v in values):
            return
        if kind != "compile" and self.sc.elements_change(values[0], loop):
            return
        for value in values:
            for inner in iter_nodes(value):
                if inner.type == "call" and self.calls.callee(inner) not in PURE_ARG_CALLS:
                    return
                if inner.type in ("await", "yield"):
                    return
        where = describe(self.sc, loop)
        arg = code(self.sc, values[0], 40)
        short_callee = self.sc.text(node.child_by_field_name("function"))
        if kind == "compile":
            what = self.catalogs.get("loops")["python"]["compile"].get(compile_set.match(callee), "it")
            message = (f"`{short_callee}({arg})` builds {what} from the same input on every iteration of "
                       f"{where}; build it once before the loop (or at module level) and reuse it.")
        elif kind == "sort":
            message = (f"`sorted({arg})` sorts the same, unchanged data again on every iteration of "
                       f"{where}: O(n·m log m). Sort it once before the loop.")
        else:
            if not only_read(self.sc, node, loop):
                return
            message = (f"`{short_callee}({arg})` copies all of `{arg}` on every iteration of {where}, "
                       f"although the copy is only read; read `{arg}` directly (or copy it once before "
                       f"the loop).")
        self.hit("invariant-work-in-loop", node, message)

    def sorted_extreme(self, node: ts.Node) -> None:
        value, index = node.child_by_field_name("value"), node.child_by_field_name("subscript")
        if value is None or index is None or value.type != "call":
            return
        function = value.child_by_field_name("function")
        if function is None or self.sc.text(function) != "sorted":
            return
        position = self.sc.text(index).replace(" ", "")
        if position not in ("0", "-1"):
            return
        args = value.child_by_field_name("arguments")
        items = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        reverse = any(a.type == "keyword_argument" and self.sc.text(a.child_by_field_name("name")) == "reverse"
                      and self.sc.text(a.child_by_field_name("value")) == "True" for a in items)
        if any(a.type == "keyword_argument" and self.sc.text(a.child_by_field_name("name")) == "reverse"
               and self.sc.text(a.child_by_field_name("value")) not in ("True", "False") for a in items):
            return
        wanted = "min" if (position == "0") != reverse else "max"
        kept = ", ".join(self.sc.text(a) for a in items
                         if not (a.type == "keyword_argument" and self.sc.text(a.child_by_field_name("name")) == "reverse"))
        self.hit("sorted-for-min-max", node,
                 f"`{code(self.sc, node, 50)}` sorts every item (O(n log n)) and builds a new list to take "
                 f"one; `{wanted}({short_text(kept)})` finds it in one O(n) pass.")

    # --- accumulation by concatenation -----------------------------------------------
    def accumulate(self, node: ts.Node, name: str, call: ts.Node) -> None:
        function = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if function is None or args is None:
            return
        values = [a for a in args.named_children if a.type != "comment"]
        callee = self.calls.callee(call)
        fed_back = False
        if function.type == "attribute" and self.sc.text(function.child_by_field_name("attribute")) == "append" \
                and self.sc.text(function.child_by_field_name("object")) == name:
            fed_back, label = True, f"{name}.append(…)"
        elif callee and pattern_set(self.catalogs, "python", "accumulate").match(callee) and values:
            first = values[0]
            items = first.named_children if first.type in ("list", "tuple") else [first]
            fed_back = any(i.type == "identifier" and self.sc.text(i) == name for i in items)
            label = f"{self.sc.text(function)}(…)"
        if not fed_back:
            return
        loop = repeating(self.sc, node)
        if loop is None or loop.kind == "comprehension":
            return
        self.hit("concat-accumulation-in-loop", call,
                 f"`{name} = {label}` copies everything accumulated in `{name}` so far on every "
                 f"iteration of {describe(self.sc, loop)}: O(n²). Collect the pieces in a list and "
                 f"concatenate once after the loop (`pd.concat(pieces)`, `np.concatenate(pieces)`).")


def short_text(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"
