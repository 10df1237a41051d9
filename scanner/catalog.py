"""The knowledge catalogs (YAML under perfsense/rules/catalogs), merged with config extensions.

Catalogs are data, read with `yaml.safe_load` only. A user's config may extend them
(`[tool.perfsense.catalog]`): lists are appended to, tables merged key by key.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml


class CatalogError(Exception):
    pass


_loaded: dict[str, Any] = {}


def _builtin(name: str) -> Any:
    """One built-in catalog, parsed once per process (YAML is parsed with `yaml.safe_load`;
    the parsed form is kept as JSON next to the cache secret, keyed by the build id, so
    later processes skip the slow YAML parser)."""
    if name in _loaded:
        return _loaded[name]
    entry = resources.files("perfsense.rules").joinpath("catalogs", f"{name}.yaml")
    if not entry.is_file():
        _loaded[name] = {}
        return _loaded[name]
    stored = _stored_path(name)
    data = _read_stored(stored)
    if data is None:
        try:
            data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:  # a packaging bug, not a user error
            raise CatalogError(f"catalog {name}.yaml is not valid YAML: {exc}") from exc
        _write_stored(stored, data)
    _loaded[name] = data
    return data


def _stored_path(name: str) -> str | None:
    from perfsense.scanner.buildid import build_id

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "perfsense", "catalogs", f"{build_id()}-{name}.json")


def _read_stored(path: str | None) -> Any:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _write_stored(path: str | None, data: Any) -> None:
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        pass


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
        self._data: dict[str, Any] = {}
        self._derived: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """A catalog by name (`blocking`, `orm`, …), loaded on first use."""
        if name not in self._data:
            data = _builtin(name)
            if name in self.extensions:
                data = _merge(data, self.extensions[name])
            self._data[name] = data
        return self._data[name]

    def derived(self, key: str, build: Any) -> Any:
        """Memoise a structure built from the catalogs (compiled pattern sets and the like)."""
        if key not in self._derived:
            self._derived[key] = build(self)
        return self._derived[key]

    @property
    def fingerprint(self) -> str:
        """Changes when the user's extensions change (part of the cache key)."""
        return extensions_fingerprint(self.extensions)


def extensions_fingerprint(extensions: Mapping[str, Any] | None) -> str:
    """A key for the user's catalog extensions (the built-in catalogs are covered by the build id);
    computed without loading any catalog, so a cached scan reads no YAML."""
    text = json.dumps(dict(extensions or {}), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
