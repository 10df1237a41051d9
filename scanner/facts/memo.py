"""Memos of what an expression node yields, keyed by language, node type and text.

A value (`requests.get`), a call argument's compact text and the like depend on the
node's type and text alone, and texts repeat: within a file (`self.assertEqual`), across
the files a worker analyses, and from one version of an edited document to the next.
Nodes with a syntax error inside are never memoised (error recovery depends on context),
so what a file yields never depends on what was analysed before it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import tree_sitter as ts

from perfsense.scanner.source import SourceFile

T = TypeVar("T")
MEMO_SIZE = 50_000  # entries per memo; emptied when full (a few MB)


class NodeMemo(Generic[T]):
    def __init__(self) -> None:
        self.table: dict[tuple[str, int, bytes], T] = {}

    def get(self, node: ts.Node, src: SourceFile, compute: Callable[[], T]) -> T:
        if node.has_error:
            return compute()
        key = (src.language, node.kind_id, src.data[node.start_byte:node.end_byte])
        table = self.table
        found = table.get(key)
        if found is None:
            if len(table) >= MEMO_SIZE:
                table.clear()
            found = table[key] = compute()
        return found

    def clear(self) -> None:
        self.table.clear()

    def __len__(self) -> int:
        return len(self.table)
