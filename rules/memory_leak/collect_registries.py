"""Class-level registries and collections trimmed through another module's attribute."""
from __future__ import annotations

from perfsense.rules.memory_leak.catalog import Compiled
from perfsense.rules.memory_leak.collect_collections import _classify, _growths, _is_collection, _State
from perfsense.rules.memory_leak.records import Collection, Growth
from perfsense.rules.memory_leak.syntax import Syntax, text
from perfsense.rules.memory_leak.tree_index import TreeIndex
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import MODULE_FUNCTION


def class_registries(ctx: FileContext, syntax: Syntax, cat: Compiled, index: TreeIndex, func_of,
                      collections: list[Collection], growths: list[Growth]) -> None:
    """Class attributes holding a collection that methods add to through `self`/`cls`."""
    for cls in ctx.facts.classes:
        own = {name for name, _v in cls.instance_attributes}
        for name, value, source in cls.attributes:
            if name in own or value is None or not _is_collection(value, source, cat):
                continue
            state = _State()
            owners = {"self", "cls", cls.name, "type(self)", "self.__class__"}
            for member in index.members:
                obj, prop = syntax.member_parts(member)
                if prop != name:
                    continue
                func = func_of(member)
                if text(obj) in owners and func != MODULE_FUNCTION:
                    _classify(member, func, syntax, cat, state)
                else:
                    parent = member.parent
                    if parent is not None and parent.type in syntax.members:
                        _o, method = syntax.member_parts(parent)
                        state.bounded = state.bounded or method in cat.evict
            qual = f"{cls.qualname}.{name}"
            collections.append(Collection(name=qual, span=cls.span, owner=cls.qualname, bounded=state.bounded))
            growths.extend(_growths(ctx.facts, qual, state, ctx.span))


def attr_evictions(syntax: Syntax, cat: Compiled, index: TreeIndex) -> frozenset[str]:
    """Names `N` of `X.N = …`, `X.N.clear()`, `del X.N[…]` where X is not self/this."""
    out: set[str] = set()
    for member in index.members:
        obj, prop = syntax.member_parts(member)
        if obj is None or text(obj) in ("self", "cls", "this"):
            continue
        parent = member.parent
        if parent is None:
            continue
        if parent.type in syntax.assignments and parent.child_by_field_name("left") == member:
            out.add(prop)
        elif parent.type in syntax.members and parent.child_by_field_name("object") == member:
            _o, method = syntax.member_parts(parent)
            grand = parent.parent
            if method in cat.evict and grand is not None and grand.type in syntax.calls:
                out.add(prop)
        elif parent.type in syntax.subscripts and parent.parent is not None and (
                parent.parent.type == "delete_statement" or text(parent.parent).startswith("delete ")):
            out.add(prop)
    return frozenset(out)
