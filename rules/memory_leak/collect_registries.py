"""Class-level registries and collections trimmed through another module's attribute."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.memory_leak.catalog import Compiled
from perfsense.rules.memory_leak.collect_collections import _classify, _growths, _is_collection, _State
from perfsense.rules.memory_leak.records import Collection, Growth
from perfsense.rules.memory_leak.syntax import Syntax, text
from perfsense.rules.memory_leak.tree_index import FileIndex
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import MODULE_FUNCTION
from perfsense.scanner.parse import query


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


# X is not self/cls/this: tested on the matches in Python, which costs a tenth of a query
# predicate (the query with `#not-match?` took twice as long on Django).
_SELF = frozenset({"self", "cls", "this"})
_EVICTION_QUERIES = {
    "python": """
        (assignment left: (attribute object: (_) @obj attribute: (identifier) @prop))
        (call function: (attribute object: (attribute object: (_) @obj attribute: (identifier) @prop)
                                   attribute: (identifier) @method))
        (_ (subscript (attribute object: (_) @obj attribute: (identifier) @prop))) @holder
    """,
    "javascript": """
        (assignment_expression left: (member_expression object: (_) @obj property: (_) @prop))
        (call_expression function: (member_expression object: (member_expression object: (_) @obj
                                                                                  property: (_) @prop)
                                                     property: (_) @method))
        (new_expression constructor: (member_expression object: (member_expression object: (_) @obj
                                                                                     property: (_) @prop)
                                                        property: (_) @method))
        (_ (subscript_expression (member_expression object: (_) @obj property: (_) @prop))) @holder
    """,
}


def attr_evictions(syntax: Syntax, cat: Compiled, index: FileIndex) -> frozenset[str]:
    """Names `N` of `X.N = …`, `X.N.clear()`, `del X.N[…]` where X is not self/this.

    One query (in C) finds the three shapes: an assignment to `X.N`, a call of a method on
    `X.N`, and `X.N` directly in a subscript whose holder is a `del` / `delete`; matches
    with X self/cls/this are dropped here."""
    out: set[str] = set()
    lang = index.ctx.source.language
    for _pattern, caps in ts.QueryCursor(query(lang, _EVICTION_QUERIES[index.family])).matches(index.root):
        if text(caps["obj"][0]) in _SELF:
            continue
        prop = text(caps["prop"][0])
        if "method" in caps:
            if text(caps["method"][0]) in cat.evict:
                out.add(prop)
        elif "holder" in caps:
            holder = caps["holder"][0]
            if holder.type == "delete_statement" or text(holder).startswith("delete "):
                out.add(prop)
        else:
            out.add(prop)
    return frozenset(out)
