"""Questions rules ask of one file's facts."""
from __future__ import annotations

from perfsense.scanner.facts.model import Call, FileFacts, Function, Loop


def loops_around(facts: FileFacts, func: int, loop: int | None) -> list[Loop]:
    """The loops (innermost first) that repeat code at (`func`, `loop`): loops of the
    function, then, when the function is an inline callback, the loops around the call
    it is passed to, and so on outwards. Iteration callbacks (`xs.map(x => …)`,
    `map(lambda x: …, xs)`) are loops of kind `callback`."""
    out: list[Loop] = []
    for _ in range(64):
        while loop is not None and len(out) < 64:
            current = facts.loops[loop]
            out.append(current)
            loop = current.parent if current.kind != "callback" else None
        fn = facts.functions[func]
        if fn.callback_of is None:
            break
        call = facts.calls[fn.callback_of]
        func, loop = call.func, call.loop
    return out


def call_loops(facts: FileFacts, call: Call) -> list[Loop]:
    """The loops that repeat a call (see `loops_around`)."""
    return loops_around(facts, call.func, call.loop)


def calls_in(facts: FileFacts, func: int) -> list[Call]:
    """Calls written directly in a function (not in functions nested in it)."""
    return [call for call in facts.calls if call.func == func]


def enclosing_named(facts: FileFacts, func: int) -> Function:
    """The nearest function with a name (skipping inline lambdas and callbacks)."""
    fn = facts.functions[func]
    while fn.parent is not None and ("<" in fn.name or fn.kind == "lambda") and fn.kind != "module":
        fn = facts.functions[fn.parent]
    return fn
