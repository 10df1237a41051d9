"""Where blocking hurts: code that runs on an event loop."""
from __future__ import annotations

from typing import TYPE_CHECKING

from perfsense.scanner.project import FunctionRef

if TYPE_CHECKING:
    from perfsense.scanner.callgraph import CallGraph


def runs_on_event_loop(graph: CallGraph, ref: FunctionRef) -> bool:
    """An `async def` / async JS function, a JS request handler, or an inline callback
    called from one (unless handed to a thread or process)."""
    facts = graph.project.files[ref.path]
    current = ref
    for _ in range(32):
        fn = facts.functions[current.id]
        if fn.is_async or (facts.language != "python" and fn.handler is not None):
            return True
        if fn.callback_of is None or fn.parent is None:
            return False
        if any(edge.offloaded for edge in graph.inline_edges_into(current)):
            return False
        current = FunctionRef(ref.path, fn.parent)
    return False
