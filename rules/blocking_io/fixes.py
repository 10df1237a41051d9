"""Quick fix: `time.sleep(x)` as a statement of an `async def` -> `await asyncio.sleep(x)`.

Rewritten with libcst, so comments and formatting around the call are kept; `import
asyncio` is added after the module docstring and `__future__` imports when missing. No
fix is offered when the call is not a whole statement directly in the async function
(a lambda or nested `def` in between), or when `asyncio` names something else.
"""
from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


def sleep_to_asyncio(text: str, line: int, column: int) -> str | None:
    """`text` with the sleep call starting at 0-based (line, code-point column) rewritten."""
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    binding = _asyncio_binding(module)
    if binding == "other":
        return None
    rewrite = _Rewrite(line + 1, column)
    new = MetadataWrapper(module, unsafe_skip_copy=True).visit(rewrite)
    if not rewrite.done:
        return None
    if binding is None:
        new = _add_import(new)
    return new.code


class _Rewrite(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line, self.column = line, column
        self.scopes: list[str] = []
        self.done = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append("async" if node.asynchronous is not None else "def")

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.scopes.pop()
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.scopes.append("lambda")

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.Lambda:
        self.scopes.pop()
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append("class")

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.scopes.pop()
        return updated

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.Expr:
        if self.done or not isinstance(original.value, cst.Call) or not self.scopes or self.scopes[-1] != "async":
            return updated
        start = self.get_metadata(PositionProvider, original.value).start
        if (start.line, start.column) != (self.line, self.column):
            return updated
        call = updated.value
        assert isinstance(call, cst.Call)
        self.done = True
        sleep = cst.Attribute(value=cst.Name("asyncio"), attr=cst.Name("sleep"))
        return updated.with_changes(value=cst.Await(expression=call.with_changes(func=sleep)))


def _asyncio_binding(module: cst.Module) -> str | None:
    """'module' when `import asyncio` is at the top level, 'other' when the name is taken."""
    found: str | None = None
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name) and bound.value == "asyncio":
                        found = "module" if alias.asname is None else "other"
                    elif alias.asname is None and _dotted(alias.name).startswith("asyncio."):
                        found = found or "module"  # `import asyncio.subprocess` binds `asyncio`
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name) and bound.value == "asyncio":
                        found = "other"
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = small.targets if isinstance(small, cst.Assign) else [small]
                for target in targets:
                    if isinstance(target.target, cst.Name) and target.target.value == "asyncio":
                        found = "other"
    return found


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return _dotted(node.value) + "." + node.attr.value
    return ""


def _add_import(module: cst.Module) -> cst.Module:
    """`import asyncio` before the first import (after the docstring and __future__)."""
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and statement.body else None
        if index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
            position = 1
            continue
        if isinstance(small, cst.ImportFrom) and _dotted(small.module or cst.Name("_")) == "__future__":
            position = index + 1
            continue
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            position = index
        break
    line = cst.parse_statement("import asyncio\n", config=module.config_for_parsing)
    if position < len(body) and isinstance(body[position], cst.SimpleStatementLine):
        following = body[position]
        line = line.with_changes(leading_lines=following.leading_lines)
        body[position] = following.with_changes(leading_lines=())
    body.insert(position, line)
    return module.with_changes(body=body)
