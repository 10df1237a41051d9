"""package.json files and installed packages under the scan root, read safely.

Discovery does not list package.json files: they are found from the analysed files'
folders upwards, never above the scan root. Each is read with a size cap through
`read_capped` (no FIFOs, no devices), parsed with `json.loads` only, and a symlink is
followed only when it stays inside the root. Installed packages (node_modules) are
measured with bounded work: a capped walk that never follows symlinks.
"""
from __future__ import annotations

import json
import logging
import os
import posixpath
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from perfsense.scanner.reading import ReadError, read_capped

log = logging.getLogger(__name__)
MANIFEST_CAP = 1 << 20
MEASURE_ENTRIES = 60_000
JS_SUFFIXES = (".js", ".mjs", ".cjs")
DEP_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
ENTRY_FIELDS = ("source", "module", "browser", "main")


@dataclass(frozen=True, slots=True)
class Manifest:
    dir: str  # posix folder relative to the scan root ("" = the root)
    name: str
    deps: frozenset[str]
    side_effects_free: bool  # "sideEffects": false
    entries: tuple[str, ...]  # entry files named by the manifest, relative to `dir`

    @property
    def path(self) -> str:
        return posixpath.join(self.dir, "package.json") if self.dir else "package.json"

    def relative(self, path: str) -> str:
        """`path` relative to this package's folder."""
        return path[len(self.dir) + 1:] if self.dir else path


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False


def _entries(data: dict) -> tuple[str, ...]:
    out = [data[f] for f in ENTRY_FIELDS if isinstance(data.get(f), str)]
    exports = data.get("exports")
    if isinstance(exports, dict):
        exports = exports.get(".", exports)
    for _ in range(4):
        if isinstance(exports, dict):
            exports = next((exports[k] for k in ("source", "import", "browser", "default", "require")
                            if k in exports), None)
    if isinstance(exports, str):
        out.insert(0, exports)
    return tuple(e for e in out if e and not e.startswith(".."))


class Manifests:
    """The package.json files that govern the analysed files (memoised per folder)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root) if root else ""
        self.real_root = os.path.realpath(self.root) if root else ""
        self._by_dir: dict[str, Manifest | None] = {}
        self._sizes: dict[str, tuple[int, bool] | None] = {}

    def nearest(self, path: str) -> Manifest | None:
        """The manifest of the closest folder at or above the file's folder."""
        folder = posixpath.dirname(path)
        while True:
            found = self.at(folder)
            if found is not None or not folder:
                return found
            folder = posixpath.dirname(folder)

    def at(self, folder: str) -> Manifest | None:
        if folder not in self._by_dir:
            self._by_dir[folder] = self._read(folder) if self.root else None
        return self._by_dir[folder]

    def all(self) -> Iterable[Manifest]:
        return (m for m in self._by_dir.values() if m is not None)

    def _safe(self, rel: str) -> str | None:
        """The absolute path of `rel` if it exists and stays inside the root."""
        path = os.path.join(self.root, *[p for p in rel.split("/") if p])
        try:
            os.lstat(path)
        except OSError:
            return None
        real = os.path.realpath(path)
        return real if _inside(real, self.real_root) else None

    def _read(self, folder: str) -> Manifest | None:
        rel = posixpath.join(folder, "package.json") if folder else "package.json"
        path = self._safe(rel)
        if path is None:
            return None
        try:
            data = json.loads(read_capped(path, MANIFEST_CAP).decode("utf-8", "replace"))
        except (ReadError, ValueError, RecursionError) as exc:
            log.debug("ignoring %s: %s", rel, exc)
            return None
        if not isinstance(data, dict):
            return None
        deps: set[str] = set()
        for key in DEP_FIELDS:
            block = data.get(key)
            if isinstance(block, dict):
                deps.update(str(k) for k in block)
        name = data.get("name")
        return Manifest(dir=folder, name=name if isinstance(name, str) else "", deps=frozenset(deps),
                        side_effects_free=data.get("sideEffects") is False, entries=_entries(data))

    def inputs(self, files: Iterable[str], packages: Iterable[str]) -> list[str]:
        """Absolute paths of the manifests that govern `files`, and of the installed
        manifests of `packages` next to them (what the scan cache must watch)."""
        folders: set[str] = set()
        for path in files:
            folder = posixpath.dirname(path)
            while folder not in folders:
                folders.add(folder)
                if not folder:
                    break
                folder = posixpath.dirname(folder)
        out = []
        names = sorted(set(packages))
        for folder in sorted(folders):
            manifest = self._safe(posixpath.join(folder, "package.json"))
            out.append(manifest or os.path.join(self.root, folder, "package.json"))
            if manifest is None or not os.path.isdir(os.path.join(self.root, folder, "node_modules")):
                continue
            for name in names:
                found = self._safe(posixpath.join(folder, "node_modules", name, "package.json"))
                if found is not None:
                    out.append(found)
        return out

    # --- installed packages --------------------------------------------------------------
    def installed_size(self, module: str, package: str, near: str) -> tuple[int, str, bool] | None:
        """(bytes of JavaScript, folder shown, capped) of the installed package that
        `module` comes from, looked up in node_modules folders from `near` up to the root."""
        if not self.root:
            return None
        folder = near
        while True:
            base = posixpath.join(folder, "node_modules", package) if folder else f"node_modules/{package}"
            real = self._safe(base)
            if real is not None and os.path.isdir(real):
                sub = module[len(package):].strip("/")
                if sub:
                    sub_real = self._safe(posixpath.join(base, sub))
                    if sub_real is not None and os.path.isdir(sub_real):
                        measured = self._measure(sub_real)
                        if measured is not None and measured[0] >= 50_000:
                            return measured[0], posixpath.join(base, sub), measured[1]
                measured = self._measure(real)
                return (measured[0], base, measured[1]) if measured is not None else None
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    def _measure(self, real: str) -> tuple[int, bool] | None:
        if real not in self._sizes:
            self._sizes[real] = _sum_js(real)
        return self._sizes[real]


def _sum_js(folder: str) -> tuple[int, bool] | None:
    """Bytes of .js/.mjs/.cjs files under `folder` (nested node_modules and symlinks
    skipped), and whether the entry cap cut the walk short."""
    total, seen, stack = 0, 0, [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MEASURE_ENTRIES:
                        return total, True
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        if entry.name != "node_modules":
                            stack.append(entry.path)
                    elif stat.S_ISREG(info.st_mode) and entry.name.endswith(JS_SUFFIXES):
                        total += info.st_size
        except OSError:
            continue
    return total, False
