"""Class-level registries and collections trimmed through another module's attribute."""
from __future__ import annotations

from perfsense.rules.memory_leak.catalog import Compiled
from perfsense.rules.memory_leak.collect_collections import _classify, _growths, _is_collection, _State
from perfsense.rules.memory_leak.records import Collection, Growth
from perfsense.rules.memory_leak.syntax import Syntax, text
from perfsense.rules.memory_leak.tree_index import FileIndex
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import MODULE_FUNCTION
from perfsense.scanner.parse import shared


def class_registries(ctx: FileContext, syntax: Syntax, cat: Compiled, index: FileIndex, func_of,
                      collections: list[Collection], growths: list[Growth]) -> None:
    """Class attributes holding a collection that methods add to through `self`/`cls`."""
    for cls in ctx.facts.classes:
        own = {name for name, _v in cls.instance_attributes}
        for name, value, source in cls.attributes:
            if name in own or value is None or not _is_collection(value, source, cat):
                continue
            state = _State()
            owners = {"self", "cls", cls.name, "type(self)", "self.__class__"}
            for member in index.members_named(name):
                obj, _prop = syntax.member_parts(member)
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


# Three shapes, each a pattern capturing one node (so that the extraction's walk of the
# tree captures them too, see parse.shared): the attribute `X.N` assigned to, the method
# attribute of a call on `X.N`, and `X.N` directly in a subscript. X is tested in Python
# (a `#not-match?` predicate made the query twice as slow on Django).
_SELF = frozenset({"self", "cls", "this"})
_EVICTIONS = {
    "python": {
        "assigned": "(assignment left: (attribute object: (_) attribute: (identifier)) @node)",
        "method": "(call function: (attribute object: (attribute object: (_) attribute: (identifier))"
                  " attribute: (identifier)) @node)",
        "subscript": "(_ (subscript (attribute object: (_) attribute: (identifier)) @node))",
    },
    "javascript": {
        "assigned": "(assignment_expression left: (member_expression object: (_) property: (_)) @node)",
        "method": "(call_expression function: (member_expression object: (member_expression object: (_)"
                  " property: (_)) property: (_)) @node)",
        "new": "(new_expression constructor: (member_expression object: (member_expression object: (_)"
               " property: (_)) property: (_)) @node)",
        "subscript": "(_ (subscript_expression (member_expression object: (_) property: (_)) @node))",
    },
}
for _family, _patterns in _EVICTIONS.items():
    for _pattern in _patterns.values():
        shared.want(_family, _pattern)


def attr_evictions(syntax: Syntax, cat: Compiled, index: FileIndex) -> frozenset[str]:
    """Names `N` of `X.N = …`, `X.N.clear()`, `del X.N[…]` where X is not self/this."""
    out: set[str] = set()
    lang = index.ctx.source.language
    for shape, pattern in _EVICTIONS[index.family].items():
        for node in shared.nodes(lang, index.root, pattern):
            if shape in ("method", "new"):  # node: `X.N.method`
                if syntax.member_parts(node)[1] not in cat.evict:
                    continue
                node = node.child_by_field_name("object")
            obj, prop = syntax.member_parts(node)
            if text(obj) in _SELF:
                continue
            if shape == "subscript":
                holder = node.parent.parent  # (of the subscript)
                if holder is None or not (holder.type == "delete_statement" or text(holder).startswith("delete ")):
                    continue
            out.add(prop)
    return frozenset(out)
