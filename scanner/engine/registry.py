"""Finds every rule: imports each module under `perfsense.rules` once and collects Rule classes.

Modules named `fixes` hold quick fixes (libcst rewrites, slow to import) and define no
rule: a rule imports its fixes when a fix is asked for, so scans never load libcst."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from perfsense.scanner.engine.rule import Rule
from perfsense.scanner.model import Category

CATEGORY_ORDER = [Category.N_PLUS_ONE, Category.BLOCKING_IO, Category.INEFFICIENT_LOOP,
                  Category.BUNDLE_BLOAT, Category.MEMORY_LEAK, Category.META]


@lru_cache(maxsize=1)
def load_rule_modules() -> tuple[str, ...]:
    import perfsense.rules as package

    names = []
    for info in pkgutil.walk_packages(package.__path__, prefix="perfsense.rules."):
        if info.name.rsplit(".", 1)[-1] == "fixes":
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return tuple(names)


def _subclasses(base: type) -> list[type]:
    found, stack = [], [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


@lru_cache(maxsize=1)
def rule_classes() -> tuple[type[Rule], ...]:
    """Every rule, in catalog order (category, then id)."""
    load_rule_modules()
    classes = {cls.id: cls for cls in _subclasses(Rule)
               if cls.id and cls.__module__.startswith("perfsense.rules.")}  # not test doubles
    return tuple(sorted(classes.values(), key=lambda c: (CATEGORY_ORDER.index(c.category), c.id)))


def rule_class(rule_id: str) -> type[Rule] | None:
    return next((cls for cls in rule_classes() if cls.id == rule_id), None)


def categories() -> tuple[str, ...]:
    return tuple(c.value for c in CATEGORY_ORDER)
