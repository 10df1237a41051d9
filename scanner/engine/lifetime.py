"""What a scan built, kept alive when the process is about to exit anyway.

The `perfsense` command leaves with os._exit right after its report, so its scan's facts,
project index and call graph need not be freed object by object (1.1 s for Django, after
the last finding was known). `cli.run` turns this on; tests and the language server, which
live on, never do.
"""
from __future__ import annotations

_held: list[object] | None = None


def hold_until_exit() -> None:
    global _held
    if _held is None:
        _held = []


def exiting() -> bool:
    """The process leaves right after its scan (the `perfsense` command)."""
    return _held is not None


def hold(obj: object) -> None:
    """Keep `obj` alive until the process exits, if the process said it will exit."""
    if _held is not None:
        _held.append(obj)
