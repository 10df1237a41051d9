"""Python fact extraction: functions, calls resolved through imports and locals, loops."""
from __future__ import annotations

from tests.facts_helpers import facts_of


def one(code: str, path: str = "pkg/mod.py", extra: dict[str, str] | None = None):
    files = {"pkg/__init__.py": "", path: code, **(extra or {})}
    return facts_of(files)[path]


def calls_by_line(facts) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for call in facts.calls:
        out.setdefault(call.span.start.line + 1, []).append(call.callee.text)
    return out


def test_callees_resolve_through_import_aliases():
    facts = one("""
        import requests as rq
        from time import sleep as pause
        import os.path
        from ..x import y

        def f():
            rq.get("u")
            pause(1)
            os.path.join("a", "b")
    """)
    lines = calls_by_line(facts)
    assert lines[7] == ["requests.get"]
    assert lines[8] == ["time.sleep"]
    assert lines[9] == ["os.path.join"]


def test_relative_imports_are_absolute():
    facts = one("""
        from . import sibling
        from .. import top
        from .db import Session
    """, path="pkg/sub/mod.py", extra={"pkg/sub/__init__.py": ""})
    modules = [(i.module, i.name) for i in facts.imports]
    assert modules == [("pkg.sub", "sibling"), ("pkg", "top"), ("pkg.sub.db", "Session")]
    assert facts.module == "pkg.sub.mod"


def test_local_values_are_substituted_and_self_derived_rebinding_kept():
    facts = one("""
        import httpx
        from .models import Order

        def view(status):
            client = httpx.Client()
            client.get("u")
            qs = Order.objects.select_related("customer")
            if status:
                qs = qs.filter(status=status)
            for order in qs:
                order.customer.name.upper()
    """)
    lines = calls_by_line(facts)
    assert lines[6] == ["httpx.Client().get"]
    assert "pkg.models.Order.objects.select_related()[*].customer.name.upper" in lines[11]
    loop = facts.loops[0]
    assert loop.iterable.full_text == "pkg.models.Order.objects.select_related('customer')"
    assert loop.targets == ("order",)


def test_loops_comprehensions_and_iterables_evaluated_outside():
    facts = one("""
        def f(rows, ids):
            for row in load(rows):
                save(row)
            out = [fetch(i) for i in ids if keep(i)]
            while pending():
                step()
            for attempt in range(3):
                break
    """)
    by_name = {c.callee.text: c for c in facts.calls}
    assert by_name["load"].loop is None  # the iterable runs once
    assert by_name["save"].loop == 0
    assert facts.loops[1].kind == "comprehension" and by_name["fetch"].loop == 1
    assert by_name["keep"].loop == 1
    assert facts.loops[2].kind == "while" and by_name["pending"].loop == 2
    assert facts.loops[3].small_literal and facts.loops[3].breaks


def test_functions_methods_lambdas_and_handlers():
    facts = one("""
        from fastapi import APIRouter
        router = APIRouter()

        class Repo:
            def __init__(self, db):
                self.db = db

            async def get(self, key):
                return await self.db.fetch(key)

        @router.get("/items")
        async def items(repo: Repo):
            return sorted(await repo.get(1), key=lambda x: x.id)
    """)
    names = [(f.qualname, f.kind, f.is_async, f.handler) for f in facts.functions]
    assert names == [
        ("", "module", False, None),
        ("Repo.__init__", "method", False, None),
        ("Repo.get", "method", True, None),
        ("items", "function", True, "fastapi"),
        ("items.<lambda>", "lambda", False, None),
    ]
    lam = facts.functions[4]
    assert facts.calls[lam.callback_of].callee.text == "sorted"
    assert facts.classes[0].instance_attributes[0][0] == "db"
    repo_get = [c for c in facts.calls if c.callee.text.endswith(".get") and c.func == 3][0]
    assert repo_get.callee.text == "pkg.mod.Repo().get" and repo_get.awaited


def test_new_syntax_parses_and_comments_are_collected():
    facts = one("""
        type Point = tuple[float, float]

        def first[T](items: list[T]) -> T:  # perfsense: ignore[some-rule]
            match items:
                case [x, *_]:
                    return x
            return f"{items!r:>{10}}"
    """)
    assert [f.qualname for f in facts.functions] == ["", "first"]
    assert facts.comments[0].line == 2 and not facts.comments[0].own_line
