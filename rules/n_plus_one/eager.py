"""Relations loaded up front, read from loader arguments.

Django: `select_related('customer')`, `prefetch_related('items__product', Prefetch('tags'))`
give lookups (`customer`, `items__product`, `tags`); no argument to `select_related`
(every foreign key) is the empty lookup; an argument perfsense cannot read (a variable,
`*lookups`) counts as loading everything. SQLAlchemy: `joinedload(Order.lines)`,
`selectinload("lines")`, `raiseload("*")` give attribute names.
"""
from __future__ import annotations

import re

ALL = "*"
_QUOTED = re.compile(r"""^(['"])(.*)\1$""", re.DOTALL)
_FIRST_QUOTED = re.compile(r"""['"]([\w.]+)['"]""")
_LOADER = re.compile(r"\b(joinedload|selectinload|subqueryload|contains_eager|immediateload|raiseload|"
                     r"noload|defaultload|Load)\(\s*([^(),]*)")


def django_lookups(args: tuple[str, ...]) -> frozenset[str]:
    if not args:
        return frozenset({""})
    out: set[str] = set()
    for arg in args:
        arg = arg.strip()
        quoted = _QUOTED.match(arg)
        if quoted:
            out.add(quoted.group(2))
        elif arg.startswith("Prefetch(") or ".Prefetch(" in arg:
            first = _FIRST_QUOTED.search(arg)
            out.add(first.group(1) if first else ALL)
        elif arg.startswith(("None", "to_attr=")):
            continue
        else:
            out.add(ALL)
    return frozenset(out)


def sqlalchemy_loaded(args: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for arg in args:
        for _loader, target in _LOADER.findall(arg):
            name = target.strip().strip("'\"")
            out.add(ALL if name in ("*", "…", "") else name.rsplit(".", 1)[-1])
        if arg.strip() in ("…", "*…"):
            out.add(ALL)
    return frozenset(out)
