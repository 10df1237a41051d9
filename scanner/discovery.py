"""Find the source files to scan: walk the paths, honour excludes and .gitignore, never read.

Discovery decides *which* files the per-file stage reads; it never opens a source file
itself. Everything that could hang or leak (FIFOs, devices, symlinks leaving the root,
huge files) is decided here from `lstat`/`stat` alone and reported as a `Skip`.
The walk is iterative (explicit stack), does not follow directory symlinks, and its
output is sorted by relative path, so it is the same run after run.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass

import pathspec

from perfsense.scanner.model import Skip, SkipReason
from perfsense.scanner.source import PYTHON, language_of

log = logging.getLogger(__name__)

EXCLUDED_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "dist",
        "build",
        "vendor",
        ".perfsense_cache",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "bower_components",
        ".next",
        ".nuxt",
        "coverage",
    }
)
EXCLUDED_FILE_SUFFIXES = (".min.js", ".min.mjs", "-min.js", ".bundle.js", ".chunk.js")
VENV_MARKER = "pyvenv.cfg"  # any directory holding it is a virtualenv (covers `env/`)
GITIGNORE_MAX_SIZE = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class FileTask:
    path: str  # absolute path as given to open() (os.fsdecode'd str)
    rel: str  # posix path relative to the scan root
    language: str  # from source.language_of
    module: str  # Python: dotted module name; JS/TS: "./" + rel without extension
    is_package: bool  # Python __init__.py; JS/TS index.* file


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives (Windows)
        return False


def scan_root(paths: Sequence[str], cwd: str) -> str:
    """The directory findings are relative to (and where the config is looked up).

    One directory argument: that directory. Otherwise the working directory when every
    path lies inside it, else the common ancestor of the paths (a file counts by its folder).
    """
    cwd = os.path.abspath(cwd)
    items = [os.path.normpath(os.path.join(cwd, p)) for p in (paths or ["."])]
    if len(items) == 1 and os.path.isdir(items[0]):
        return items[0]
    folders = [p if os.path.isdir(p) else os.path.dirname(p) for p in items]
    if all(_inside(folder, cwd) for folder in folders):
        return cwd
    return os.path.commonpath(folders)


def compile_ignore(lines: Sequence[str], *, strict: bool = False) -> pathspec.GitIgnoreSpec:
    """Gitignore-syntax patterns; invalid lines are dropped (as git does) unless `strict`."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError):
        if strict:
            raise
    valid = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, TypeError):
            log.debug("ignoring invalid gitignore pattern %r", line)
            continue
        valid.append(line)
    return pathspec.GitIgnoreSpec.from_lines(valid)


@dataclass(frozen=True, slots=True)
class _Ignore:
    base: str  # folder of the .gitignore, relative to the root ("" = the root)
    spec: pathspec.GitIgnoreSpec


_Chain = tuple[_Ignore, ...]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _says(spec: pathspec.GitIgnoreSpec, base: str, rel: str, is_dir: bool, parent: str) -> bool | None:
    """What one pattern set decides for `rel` (None: no say, or only through the parent)."""
    local = rel[len(base) + 1 :] if base else rel
    include = spec.check_file(local + "/" if is_dir else local).include
    if include and parent != base:
        local_parent = parent[len(base) + 1 :] if base else parent
        if spec.check_file(local_parent + "/").include:
            return None
    return include


def _rel_join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


class _Walker:
    def __init__(self, root: str, exclude: Sequence[str], max_file_size: int, use_gitignore: bool) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self.user = compile_ignore(list(exclude)) if exclude else None
        self.max_file_size = max_file_size
        self.use_gitignore = use_gitignore
        self.tasks: dict[str, FileTask] = {}
        self.skips: dict[tuple[str, SkipReason], Skip] = {}
        self.has_init: dict[str, bool] = {}  # absolute folder -> holds __init__.py

    # -- results -----------------------------------------------------------------
    def skip(self, rel: str, reason: SkipReason, detail: str) -> None:
        self.skips.setdefault((rel, reason), Skip(path=rel, reason=reason, detail=detail))

    def rel_of(self, path: str) -> str | None:
        if not _inside(path, self.root):
            return None
        rel = os.path.relpath(path, self.root)
        return "" if rel == "." else rel.replace(os.sep, "/")

    # -- exclusion ---------------------------------------------------------------
    def ignored(self, rel: str, is_dir: bool, chain: _Chain) -> bool:
        """Excluded by the user's patterns or a .gitignore (the deepest one with a say wins).

        A match inherited from the parent folder does not count: the walk never enters an
        excluded folder, so such a parent was named explicitly and its contents are wanted.
        """
        parent = rel.rpartition("/")[0]
        if self.user is not None and _says(self.user, "", rel, is_dir, parent):
            return True
        for entry in reversed(chain):
            include = _says(entry.spec, entry.base, rel, is_dir, parent)
            if include is not None:
                return include
        return False

    def load_gitignore(self, folder: str, rel: str) -> _Ignore | None:
        path = os.path.join(folder, ".gitignore")
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > GITIGNORE_MAX_SIZE:
                return None
            with open(path, "rb") as handle:
                text = handle.read(GITIGNORE_MAX_SIZE).decode("utf-8", "surrogateescape")
        except OSError:
            return None
        lines = text.splitlines()
        return _Ignore(rel, compile_ignore(lines)) if any(line.strip() for line in lines) else None

    def ancestor_chain(self, rel_dir: str) -> _Chain:
        """The .gitignore files of the folders above `rel_dir`, from the root down."""
        if not self.use_gitignore or not rel_dir:
            return ()
        chain: list[_Ignore] = []
        parts = rel_dir.split("/")
        for depth in range(len(parts)):
            rel = "/".join(parts[:depth])
            found = self.load_gitignore(os.path.join(self.root, *parts[:depth]), rel)
            if found is not None:
                chain.append(found)
        return tuple(chain)

    # -- walking -----------------------------------------------------------------
    def walk(self, start: str, rel_start: str) -> None:
        stack: list[tuple[str, str, _Chain, bool]] = [
            (start, rel_start, self.ancestor_chain(rel_start), True)
        ]
        while stack:
            folder, rel_dir, chain, explicit = stack.pop()
            try:
                with os.scandir(folder) as iterator:
                    entries = sorted(iterator, key=lambda e: e.name)
            except PermissionError as exc:
                self.skip(rel_dir or ".", SkipReason.PERMISSION, f"cannot list directory: {exc.strerror}")
                continue
            except FileNotFoundError:
                self.skip(rel_dir or ".", SkipReason.VANISHED, "directory disappeared during the scan")
                continue
            except OSError as exc:
                self.skip(rel_dir or ".", SkipReason.PERMISSION, f"cannot list directory: {exc.strerror}")
                continue
            names = {entry.name for entry in entries}
            if VENV_MARKER in names and not explicit:
                continue
            self.has_init[folder] = "__init__.py" in names
            if self.use_gitignore and ".gitignore" in names:
                found = self.load_gitignore(folder, rel_dir)
                chain = (*chain, found) if found is not None else chain
            for entry in reversed(entries):
                rel = _rel_join(rel_dir, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in EXCLUDED_DIRS and not self.ignored(rel, True, chain):
                        stack.append((entry.path, rel, chain, False))
                elif language_of(entry.name) is not None:  # files, symlinks, FIFOs, ...
                    self.file(entry.path, rel, chain, explicit=False)

    def file(self, path: str, rel: str, chain: _Chain, *, explicit: bool) -> None:
        name = os.path.basename(path)
        language = language_of(name)
        if language is None:
            return
        if not explicit and (
            name.lower().endswith(EXCLUDED_FILE_SUFFIXES) or self.ignored(rel, False, chain)
        ):
            return
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            self.skip(rel, SkipReason.VANISHED, "file disappeared during the scan")
            return
        except OSError as exc:
            self.skip(rel, SkipReason.PERMISSION, f"cannot stat: {exc.strerror}")
            return
        if (stat.S_ISLNK(info.st_mode) or explicit) and not _inside(os.path.realpath(path), self.real_root):
            self.skip(rel, SkipReason.OUTSIDE_ROOT, "symbolic link leads outside the scan root")
            return
        if stat.S_ISLNK(info.st_mode):
            try:
                info = os.stat(path)
            except FileNotFoundError:
                self.skip(rel, SkipReason.VANISHED, "dangling symbolic link")
                return
            except OSError as exc:
                self.skip(rel, SkipReason.VANISHED, f"broken symbolic link: {exc.strerror}")
                return
            if stat.S_ISDIR(info.st_mode):
                return  # directory symlinks are never followed
        if not stat.S_ISREG(info.st_mode):
            self.skip(rel, SkipReason.NOT_REGULAR_FILE, f"{_kind(info.st_mode)}, not a regular file")
            return
        if info.st_size > self.max_file_size:
            self.skip(rel, SkipReason.TOO_BIG, f"{info.st_size} bytes, limit {self.max_file_size} bytes")
            return
        module, is_package = self.module(rel, language)
        self.tasks[rel] = FileTask(
            path=path, rel=rel, language=language, module=module, is_package=is_package
        )

    # -- module names ------------------------------------------------------------
    def folder_has_init(self, folder: str) -> bool:
        cached = self.has_init.get(folder)
        if cached is None:
            cached = self.has_init[folder] = os.path.isfile(os.path.join(folder, "__init__.py"))
        return cached

    def module(self, rel: str, language: str) -> tuple[str, bool]:
        *parts, name = rel.split("/")
        stem, _ext = os.path.splitext(name)
        if language != PYTHON:
            return "./" + _rel_join("/".join(parts), stem), stem == "index"
        is_package = stem == "__init__"
        names = [] if is_package else [stem]
        depth = len(parts)
        while self.folder_has_init(os.path.join(self.root, *parts[:depth])):
            if depth == 0:  # the root itself is a package: never look above it
                root_name = os.path.basename(self.root)
                names.extend([root_name] if root_name else [])
                break
            names.append(parts[depth - 1])
            depth -= 1
        return (".".join(reversed(names)) or stem), is_package

    # -- arguments ---------------------------------------------------------------
    def argument(self, given: str, path: str) -> None:
        rel = self.rel_of(path)
        if rel is None:
            self.skip(given, SkipReason.OUTSIDE_ROOT, "path lies outside the scan root")
            return
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            self.skip(rel or ".", SkipReason.VANISHED, "no such file or directory")
            return
        except OSError as exc:
            self.skip(rel or ".", SkipReason.PERMISSION, f"cannot stat: {exc.strerror}")
            return
        if stat.S_ISDIR(info.st_mode) or (stat.S_ISLNK(info.st_mode) and os.path.isdir(path)):
            if rel and not _inside(os.path.realpath(path), self.real_root):
                self.skip(rel, SkipReason.OUTSIDE_ROOT, "symbolic link leads outside the scan root")
                return
            self.walk(path, rel)
            return
        parent = rel.rpartition("/")[0]
        self.file(path, rel, self.ancestor_chain(parent), explicit=True)


def discover(
    paths: Sequence[str],
    root: str,
    *,
    exclude: Sequence[str] = (),
    max_file_size: int = 1 << 20,
    use_gitignore: bool = True,
    cwd: str | None = None,
) -> tuple[list[FileTask], list[Skip]]:
    """Source files under `paths` (relative paths resolve against `cwd`), and what was skipped.

    Both lists are sorted by relative path. Explicitly named files are scanned even when an
    exclude pattern or .gitignore matches them; explicitly named folders are entered.
    """
    base = os.path.abspath(cwd if cwd is not None else os.getcwd())
    walker = _Walker(root, exclude, max_file_size, use_gitignore)
    for given in paths or ["."]:
        walker.argument(given, os.path.normpath(os.path.join(base, given)))
    tasks = [walker.tasks[rel] for rel in sorted(walker.tasks)]
    return tasks, sorted(walker.skips.values())


def module_name(root: str, rel: str, language: str) -> tuple[str, bool]:
    """(module name, is package) that discovery gives the file `rel` under `root`, without
    reading it (the LSP server names open buffers that way, saved or not)."""
    return _Walker(root, (), 1 << 20, False).module(rel, language)
