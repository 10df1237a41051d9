"""perfsense configuration: `perfsense.toml` or `[tool.perfsense]` in `pyproject.toml`.

The config is data only: nothing in it is imported or executed, and no plugin or module
path can come from it. Every key is validated; an unknown key or a wrong value is a
`ConfigError` that names the file and the key (and suggests the closest known key).
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pathspec

from perfsense.scanner.discovery import compile_ignore

CONFIG_FILE = "perfsense.toml"
PYPROJECT = "pyproject.toml"
MAX_CONFIG_SIZE = 4 << 20
KEYS = (
    "select",
    "ignore",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "max-file-size",
    "timeout",
    "minified-line-length",
    "rules",
    "catalog",
)
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*\Z")
# Catalog extensions: catalog -> language (None: a plain list) -> required and optional fields.
_CATALOG = {
    "blocking": (("python", "javascript"), ("call",), ("replacement",)),
    "queries": (None, ("call",), ("batch",)),
    "bundles": (("packages",), ("module", "what"), ("kind", "lazy", "size-kb", "instead", "package")),
}


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    select: tuple[str, ...] = ()  # rule ids or categories; empty = all
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to the scan root
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (gitignore-style pattern, ids)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    catalog: Mapping[str, Any] = field(default_factory=dict)  # extensions for catalog.Catalogs
    max_file_size: int = 1 << 20
    timeout: float = 20.0  # seconds per file
    minified_line_length: int = 1000
    source: str | None = None  # path of the config file used


def is_selected(rule_id: str, category: str, select: Collection[str], ignore: Collection[str]) -> bool:
    chosen = not select or rule_id in select or category in select
    return chosen and rule_id not in ignore and category not in ignore


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> pathspec.GitIgnoreSpec:
    return compile_ignore([pattern])


def path_ignored(rel: str, rule_id: str, category: str, config: Config) -> bool:
    """Whether a `per-file-ignores` entry switches the rule off for this file."""
    for pattern, ids in config.per_path_ignores:
        if (rule_id in ids or category in ids) and _pattern(pattern).match_file(rel):
            return True
    return False


def _normalize(key: str) -> str:
    return key.replace("_", "-")


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    return next((name for kind, name in names.items() if type(value) is kind), type(value).__name__)


class _Reader:
    """Validates one config table; every error names the file and the dotted key."""

    def __init__(
        self,
        path: str,
        prefix: str,
        rule_ids: Collection[str],
        categories: Collection[str],
        option_names: Mapping[str, Collection[str]],
    ) -> None:
        self.path, self.prefix = path, prefix
        self.rule_ids, self.categories = frozenset(rule_ids), frozenset(categories)
        self.option_names = option_names

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: `{self.prefix}{key}`: {message}")

    def expect(self, key: str, value: Any, expected: str) -> ConfigError:
        return self.error(key, f"expected {expected}, got {_type_name(value)} {value!r}"[:300])

    def keys(
        self,
        key: str,
        table: Mapping[str, Any],
        known: Collection[str],
        what: str = "key",
        normalize: bool = True,
    ) -> dict[str, Any]:
        """The table with normalized keys; unknown or duplicated keys are errors."""
        out: dict[str, Any] = {}
        for name, value in table.items():
            norm = _normalize(name) if normalize else name
            where = f"{key}.{name}" if key else name
            if norm not in known:
                close = difflib.get_close_matches(norm, list(known), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise self.error(where, f"unknown {what}{hint}")
            if norm in out:
                raise self.error(where, "given twice (kebab-case and snake_case spellings)")
            out[norm] = value
        return out

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.expect(key, value, "an array of non-empty strings")
        return tuple(value)

    def ids(self, key: str, value: Any) -> tuple[str, ...]:
        ids = self.strings(key, value)
        known = self.rule_ids | self.categories
        for item in ids if known else ():
            if item not in known:
                close = difflib.get_close_matches(item, sorted(known), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise self.error(key, f"`{item}` is neither a rule id nor a category{hint}")
        return ids

    def patterns(self, key: str, value: Any) -> tuple[str, ...]:
        patterns = self.strings(key, value)
        for pattern in patterns:
            self.pattern(key, pattern)
        return patterns

    def pattern(self, key: str, pattern: str) -> None:
        try:
            compile_ignore([pattern], strict=True)
        except (ValueError, TypeError) as exc:
            raise self.error(key, f"invalid gitignore-style pattern {pattern!r}: {exc}") from None

    def size(self, key: str, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            if value <= 0:
                raise self.expect(key, value, "a positive number of bytes")
            return value
        match = _SIZE.match(value) if isinstance(value, str) else None
        if match is None or match.group(2).lower() not in _UNITS:
            raise self.expect(key, value, 'an integer (bytes) or a size such as "2MB" or "512KiB"')
        size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
        if size <= 0:
            raise self.expect(key, value, "a positive size")
        return size

    def positive(self, key: str, value: Any, *, integer: bool) -> float:
        numeric = isinstance(value, int) or (isinstance(value, float) and not integer)
        if isinstance(value, bool) or not numeric or not math.isfinite(value) or value <= 0:
            raise self.expect(key, value, "a positive integer" if integer else "a positive number")
        return value

    def per_file(self, key: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(value, dict):
            raise self.expect(key, value, "a table of pattern = [rule ids or categories]")
        out = []
        for pattern, ids in value.items():
            where = f'{key}."{pattern}"'
            self.pattern(where, pattern)
            out.append((pattern, self.ids(where, ids)))
        return tuple(out)

    def rules(self, key: str, value: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(value, dict):
            raise self.expect(key, value, "a table of [rules.<rule-id>] tables")
        if self.rule_ids:
            value = self.keys(key, value, self.rule_ids, "rule id", normalize=False)
        out: dict[str, dict[str, Any]] = {}
        for rule_id, options in value.items():
            where = f"{key}.{rule_id}"
            if not isinstance(options, dict):
                raise self.expect(where, options, "a table of options")
            if self.option_names:
                declared = {_normalize(name): name for name in self.option_names.get(rule_id, ())}
                checked = self.keys(where, options, declared, "option")
                options = {declared[name]: option for name, option in checked.items()}
            out[rule_id] = dict(options)
        return out

    def catalog(self, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.expect(key, value, "a table of catalog extensions")
        out: dict[str, Any] = {}
        for name, entries in self.keys(key, value, _CATALOG, "catalog").items():
            languages, required, optional = _CATALOG[name]
            if languages is None:
                out[name] = self.entries(f"{key}.{name}", entries, required, optional)
                continue
            if not isinstance(entries, dict):
                raise self.expect(
                    f"{key}.{name}", entries, "a table with " + " / ".join(languages) + " arrays"
                )
            per_language = self.keys(f"{key}.{name}", entries, languages, "language")
            shape = _bundle_package if name == "bundles" else _blocking_group
            out[name] = {
                language: [
                    shape(entry)
                    for entry in self.entries(f"{key}.{name}.{language}", items, required, optional)
                ]
                for language, items in per_language.items()
            }
        return out

    def entries(
        self, key: str, value: Any, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> list[dict]:
        if not isinstance(value, list):
            raise self.expect(key, value, "an array of tables")
        out = []
        for index, entry in enumerate(value):
            where = f"{key}[{index}]"
            if not isinstance(entry, dict):
                raise self.expect(where, entry, "a table")
            entry = self.keys(where, entry, required + optional, "field")
            for name, text in entry.items():
                if not isinstance(text, str) or not text.strip():
                    raise self.expect(f"{where}.{name}", text, "a non-empty string")
            missing = [name for name in required if name not in entry]
            if missing:
                raise self.error(where, f"missing required field `{missing[0]}`")
            out.append(entry)
        return out


def _blocking_group(entry: Mapping[str, str]) -> dict[str, Any]:
    """A config entry `{call, replacement}` in the shape of a `blocking.yaml` group."""
    return {
        "group": "config",
        "what": f"`{entry['call']}`",
        "replacement": entry.get("replacement", "a non-blocking alternative"),
        "calls": [entry["call"]],
    }


def _bundle_package(entry: Mapping[str, str]) -> dict[str, Any]:
    """A config entry `{module, what, …}` in the shape of a `bundles.yaml` package."""
    out: dict[str, Any] = {key.replace("-", "_"): value for key, value in entry.items() if key != "module"}
    out["modules"] = [entry["module"]]
    return out


def _parse(table: Mapping[str, Any], reader: _Reader, source: str) -> Config:
    data = reader.keys("", table, KEYS)
    values: dict[str, Any] = {"source": source}
    for key, value in data.items():
        if key in ("select", "ignore"):
            values[key] = reader.ids(key, value)
        elif key in ("exclude", "extend-exclude"):
            values["exclude"] = values.get("exclude", ()) + reader.patterns(key, value)
        elif key == "per-file-ignores":
            values["per_path_ignores"] = reader.per_file(key, value)
        elif key == "max-file-size":
            values["max_file_size"] = reader.size(key, value)
        elif key == "timeout":
            values["timeout"] = float(reader.positive(key, value, integer=False))
        elif key == "minified-line-length":
            values["minified_line_length"] = int(reader.positive(key, value, integer=True))
        elif key == "rules":
            values["rule_options"] = reader.rules(key, value)
        else:
            values["catalog"] = reader.catalog(key, value)
    return Config(**values)


def _read_toml(path: str) -> dict[str, Any]:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: not a regular file")
        if info.st_size > MAX_CONFIG_SIZE:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_SIZE} bytes")
        with open(path, "rb") as handle:
            return tomllib.loads(handle.read(MAX_CONFIG_SIZE).decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not valid UTF-8 at byte {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _locate(root: str, explicit: str | None) -> str | None:
    if explicit is not None:
        return explicit
    for name in (CONFIG_FILE, PYPROJECT):
        candidate = os.path.join(root, name)
        if os.path.lexists(candidate):
            return candidate
    return None


def load_config(
    root: str,
    explicit: str | None = None,
    *,
    rule_ids: Collection[str] = (),
    categories: Collection[str] = (),
    rule_option_names: Mapping[str, Collection[str]] | None = None,
) -> Config:
    """The config for a scan of `root` (defaults when there is none).

    `explicit` (a perfsense.toml-style file, or a pyproject.toml) overrides the lookup.
    When `rule_ids`/`categories` are given, ids in select/ignore/per-file-ignores/rules
    must be among them; when `rule_option_names` is given, so must option names.
    """
    path = _locate(root, explicit)
    if path is None:
        return Config()
    data = _read_toml(path)
    prefix = ""
    if os.path.basename(path) == PYPROJECT:
        prefix = "tool.perfsense."
        tool = data.get("tool", {})
        table = tool.get("perfsense") if isinstance(tool, dict) else None
        if table is None:
            return Config(source=path) if explicit is not None else Config()
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `tool.perfsense` must be a table")
        data = table
    reader = _Reader(path, prefix, rule_ids, categories, rule_option_names or {})
    return _parse(data, reader, path)
