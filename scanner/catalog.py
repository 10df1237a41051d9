"""The knowledge catalogs (YAML under perfsense/rules/catalogs), merged with config extensions.

Catalogs are data, read with `yaml.safe_load` only. A user's config may extend them
(`[tool.perfsense.catalog]`): lists are appended to, tables merged key by key.
"""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


class CatalogError(Exception):
    pass


@lru_cache(maxsize=1)
def _builtin() -> dict[str, Any]:
    data: dict[str, Any] = {}
    folder = resources.files("perfsense.rules").joinpath("catalogs")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        name = entry.name.rsplit(".", 1)[0]
        try:
            loaded = yaml.safe_load(entry.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:  # a packaging bug, not a user error
            raise CatalogError(f"catalog {entry.name} is not valid YAML: {exc}") from exc
        data[name] = loaded if loaded is not None else {}
    return data


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, Mapping):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(extra, list):
        return base + copy.deepcopy(extra)
    return copy.deepcopy(extra)


class Catalogs:
    """All catalogs by name (`blocking`, `orm`, …), with the user's extensions applied."""

    def __init__(self, extensions: Mapping[str, Any] | None = None) -> None:
        self.extensions = dict(extensions or {})
        data = _builtin()
        self._data = _merge(data, self.extensions) if self.extensions else data
        self._derived: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        return self._data.get(name, {})

    def derived(self, key: str, build: Any) -> Any:
        """Memoise a structure built from the catalogs (compiled pattern sets and the like)."""
        if key not in self._derived:
            self._derived[key] = build(self)
        return self._derived[key]

    @property
    def fingerprint(self) -> str:
        """Changes when the user's extensions change (part of the cache key)."""
        text = json.dumps(self.extensions, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
