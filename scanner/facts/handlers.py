"""Which functions are request handlers (routes, views, middleware, jobs).

Handlers matter twice: a blocking call in a request handler stalls a server (JS), and
work done per request (listeners, caches, intervals) grows with traffic.
"""
from __future__ import annotations

import tree_sitter as ts

from perfsense.scanner.facts.builder import FactsBuilder, FunctionRec
from perfsense.scanner.source import SourceFile

ROUTE_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "route",
                           "api_route", "websocket", "all", "use", "trace"})
PY_FRAMEWORKS = {
    "fastapi": "fastapi", "starlette": "starlette", "flask": "flask", "quart": "quart",
    "sanic": "sanic", "aiohttp": "aiohttp", "litestar": "litestar", "ninja": "django-ninja",
    "falcon": "falcon", "tornado": "tornado", "bottle": "bottle",
}
PY_VIEW_DECORATORS = ("django.views.decorators.", "django.contrib.auth.decorators.",
                      "rest_framework.decorators.api_view", "django.contrib.admin.views.decorators.")
PY_TASK_DECORATORS = ("celery.shared_task", "shared_task", "dramatiq.actor", "huey.")
PY_VIEW_BASES = ("django.views.", "rest_framework.", "django.contrib.admin.")
VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "dispatch", "list",
                          "retrieve", "create", "update", "partial_update", "destroy",
                          "get_queryset", "perform_create", "perform_update"})


def python_handler(b: FactsBuilder, rec: FunctionRec, node: ts.Node, src: SourceFile) -> str | None:
    for raw in rec.decorators:
        value = raw.value
        last = value.steps[-1] if value.steps else None
        text = value.text
        if last is not None and last.call and last.name in ROUTE_METHODS:
            framework = _framework_of(b, value.root)
            if framework:
                return framework
            if last.args and last.args[0].startswith(("'/", '"/')):
                return "route"
        resolved = b.resolve_name(raw.func, value.root).text if value.root else ""
        full = resolved + text[len(value.root):]
        if full.startswith(PY_VIEW_DECORATORS):
            return "django"
        if full.startswith(PY_TASK_DECORATORS) or (last is not None and last.name == "task"):
            return "task"
    if rec.class_name and rec.name in VIEW_METHODS and _class_is_view(b, rec.class_name):
        return "django"
    return None


def _framework_of(b: FactsBuilder, root: str) -> str | None:
    """Framework of a decorator receiver such as `router` in `@router.get(...)`."""
    value = _module_value(b, root)
    if value is None:
        return None
    resolved = b.resolve(value)
    top = resolved.root.split(".", 1)[0] if resolved is not None else ""
    return PY_FRAMEWORKS.get(top)


def _module_value(b: FactsBuilder, name: str):
    return b.module_binding(name)


def _class_is_view(b: FactsBuilder, qualname: str) -> bool:
    cls = b.class_by_qualname.get(qualname)
    if cls is None:
        return False
    for base in cls.bases:
        resolved = b.resolve(base)
        if resolved is not None and resolved.text.startswith(PY_VIEW_BASES):
            return True
    return False


# --- JavaScript / TypeScript ---------------------------------------------------------------
JS_HANDLER_PARAMS = (("req", "res"), ("request", "response"), ("request", "reply"), ("ctx",),
                     ("ctx", "next"), ("req", "res", "next"), ("err", "req", "res", "next"),
                     ("context",), ("event", "context"))
NEST_ROUTE_DECORATORS = frozenset({"Get", "Post", "Put", "Delete", "Patch", "All", "Head", "Options",
                                   "MessagePattern", "EventPattern", "Sse"})


def js_callback_handler(method: str, first_arg_text: str, params: list[str]) -> str | None:
    """Handler kind of an inline function passed to `x.<method>(...)`."""
    lowered = tuple(p.lower() for p in params)
    if method in ROUTE_METHODS:
        if first_arg_text.startswith(("'/", '"/', "`/")):
            return "express"
        if lowered[:2] in (("req", "res"), ("request", "response"), ("request", "reply")) \
                or lowered[:1] == ("ctx",) or lowered[:4] == ("err", "req", "res", "next"):
            return "express" if lowered[:1] != ("ctx",) else "koa"
    return None


def js_named_handler(path: str, name: str, exported: bool, is_default: bool) -> str | None:
    """Next.js API routes (`pages/api/**` default export, `app/**/route.ts` verb exports)."""
    lowered = path.lower()
    if "/pages/api/" in f"/{lowered}" and is_default:
        return "nextjs"
    stem = lowered.rsplit("/", 1)[-1]
    if stem.startswith("route.") and exported and name in ("GET", "POST", "PUT", "PATCH", "DELETE",
                                                           "HEAD", "OPTIONS"):
        return "nextjs"
    return None
