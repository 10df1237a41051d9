"""The settings a client may send (`initializationOptions`, `workspace/configuration`
section `perfsense`, `workspace/didChangeConfiguration`). Bad values are reported and
ignored; the project's own `perfsense.toml` / `pyproject.toml` stays the main config."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

log = logging.getLogger("perfsense.lsp")
DEFAULT_DEBOUNCE_MS = 150
MAX_DEBOUNCE_MS = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    select: tuple[str, ...] = ()  # rule ids or categories (like `perfsense scan --select`)
    ignore: tuple[str, ...] = ()
    debounce_ms: int = DEFAULT_DEBOUNCE_MS  # quiet time after an edit before analysing
    index_workspace: bool = True  # analyse every file of the workspace in the background
    jobs: int = 0  # worker processes for indexing (0: all cores)

    @property
    def index_jobs(self) -> int:
        return self.jobs or max(2, os.cpu_count() or 1)

    def merged(self, raw: Any) -> ClientSettings:
        """These settings updated from a client's JSON object; wrong values are logged and skipped."""
        if raw is None:
            return self
        if not isinstance(raw, Mapping):
            log.warning("perfsense settings must be an object, got %s; ignored", type(raw).__name__)
            return self
        if isinstance(raw.get("perfsense"), Mapping):  # the whole configuration, not the section
            raw = raw["perfsense"]
        changes: dict[str, Any] = {}
        for key, value in raw.items():
            field, check = _FIELDS.get(key, (None, None))
            if field is None or check is None:
                continue  # settings of the client itself (interpreter, args, trace, …)
            checked = check(value)
            if checked is None:
                log.warning("perfsense setting %r: unusable value %r; ignored", key, value)
                continue
            changes[field] = checked
        return replace(self, **changes) if changes else self


def _ids(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return tuple(item.strip() for item in value if item.strip())


def _debounce(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_DEBOUNCE_MS:
        return None
    return int(value)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _jobs(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 256:
        return None
    return value


_FIELDS = {
    "select": ("select", _ids),
    "ignore": ("ignore", _ids),
    "debounceMs": ("debounce_ms", _debounce),
    "debounce_ms": ("debounce_ms", _debounce),
    "indexWorkspace": ("index_workspace", _flag),
    "jobs": ("jobs", _jobs),
}
