"""The project index the server keeps in memory: one per workspace folder (and a small one
per document outside every folder).

It holds the per-file results of the files on disk (from the same `.perfsense_cache` as
the CLI), the latest results of the open buffers (which win over the disk), and one
Project + CallGraph over both. Every method runs on the analysis thread, one at a time;
nothing here touches the LSP connection.
"""
from __future__ import annotations

import gc
import hashlib
import logging
import os
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from perfsense.lsp.settings import ClientSettings
from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.config import Config, ConfigError, load_config
from perfsense.scanner.discovery import EXCLUDED_DIRS, FileTask, compile_ignore, discover, module_name
from perfsense.scanner.engine.finalize import active_rules, finalize
from perfsense.scanner.engine.project_stage import run_project_rules
from perfsense.scanner.engine.registry import categories, rule_classes
from perfsense.scanner.engine.rule import ProjectContext
from perfsense.scanner.engine.runner import ScanOptions, paused_gc, run_files, settings_for
from perfsense.scanner.engine.worker import FileResult, analyse_file, analyse_source
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.model import Finding, Skip, SkipReason
from perfsense.scanner.parse import Reuse
from perfsense.scanner.project import Project
from perfsense.scanner.source import SourceFile
from perfsense.scanner.untouched import Previous, untouched_functions

log = logging.getLogger("perfsense.lsp")
CONFIG_FILES = ("perfsense.toml", "pyproject.toml")
BATCH = 256  # files per run_files call while indexing (cancellation and progress points)


@dataclass(frozen=True, slots=True)
class Buffer:
    """An open document's text at one version (a snapshot taken on the message loop)."""

    uri: str
    version: int
    rel: str
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class Analysed:
    """The per-file result of one buffer version."""

    uri: str
    version: int
    source: SourceFile
    result: FileResult


@dataclass(frozen=True, slots=True)
class Report:
    """What an open document shows at one version."""

    uri: str
    version: int
    rel: str
    source: SourceFile
    findings: tuple[Finding, ...]
    skips: tuple[Skip, ...]
    parsed: bool = True  # False: the text does not parse at all (typing), nothing to report



@dataclass(slots=True)
class Build:
    """A fresh index of the files on disk, made on the indexing thread."""

    tasks: dict[str, FileTask]
    disk: dict[str, FileResult]
    project: Project
    graph: CallGraph
    buffers: dict[str, Analysed] = field(default_factory=dict)  # the buffers it was built with
    skips: list[Skip] = field(default_factory=list)


class Cancelled(Exception):
    pass


class Index:
    def __init__(self, root: str | None, client: ClientSettings) -> None:
        self.root = root
        self.config, self.config_error = self._load_config()
        self.settings = settings_for(self.config, ScanOptions(use_cache=root is not None), root or "")
        self.classes = rule_classes()
        self.active = active_rules(self.classes, self.config, client.select, client.ignore)
        self.catalogs = Catalogs(self.settings.catalog)
        self._excluded = compile_ignore(list(self.config.exclude)) if self.config.exclude else None
        self.tasks: dict[str, FileTask] = {}
        self.disk: dict[str, FileResult] = {}
        self.buffers: dict[str, Analysed] = {}
        self.trees: dict[str, Reuse] = {}  # each open buffer's last tree, for the next parse
        self.project = Project({}, root or "")
        self.graph: CallGraph | None = None
        self.ready = False
        self._pending: set[str] = set()  # changed on disk while the build ran

    # --- configuration ---------------------------------------------------------------
    def _load_config(self) -> tuple[Config, str | None]:
        if self.root is None:
            return Config(), None
        classes = rule_classes()
        try:
            config = load_config(self.root, rule_ids=[c.id for c in classes], categories=categories(),
                                 rule_option_names={c.id: list(c.default_options) for c in classes})
        except ConfigError as exc:
            return Config(), str(exc)
        return config, None

    def reselect(self, client: ClientSettings) -> None:
        self.active = active_rules(self.classes, self.config, client.select, client.ignore)

    # --- paths -----------------------------------------------------------------------
    def rel_of(self, path: str) -> str | None:
        """The path relative to the root, or None outside it (or excluded from the scan)."""
        if self.root is None:
            return None
        try:
            rel = os.path.relpath(os.path.abspath(path), self.root)
        except ValueError:
            return None
        if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
            return None
        rel = rel.replace(os.sep, "/")
        if rel in self.tasks:
            return rel
        if any(part in EXCLUDED_DIRS for part in rel.split("/")[:-1]):
            return None
        if self._excluded is not None and self._excluded.match_file(rel):
            return None
        return rel

    def module_of(self, rel: str, language: str) -> tuple[str, bool]:
        task = self.tasks.get(rel)
        if task is not None:
            return task.module, task.is_package
        if self.root is None:
            stem = posixpath.splitext(posixpath.basename(rel))[0] or "untitled"
            return (stem, False) if language == "python" else ("./" + stem, stem == "index")
        return module_name(self.root, rel, language)

    # --- indexing (indexing thread) --------------------------------------------------
    def build(self, jobs: int, cancelled: Callable[[], bool],
              progress: Callable[[int, int], None]) -> Build:
        """Analyse every file under the root (process pool, cache) and build the graph."""
        assert self.root is not None
        tasks, skips = discover([self.root], self.root, exclude=self.config.exclude,
                                max_file_size=self.settings.max_file_size)
        results: list[FileResult] = []
        progress(0, len(tasks))
        with paused_gc():  # millions of long-lived objects arrive: see the README's design notes
            for start in range(0, len(tasks), BATCH):
                if cancelled():
                    raise Cancelled()
                results.extend(run_files(tasks[start:start + BATCH], self.settings, jobs))
                progress(len(results), len(tasks))
            buffers = dict(self.buffers)  # dict copies are atomic: the analysis thread may add meanwhile
            facts = {r.path: r.facts for r in results if r.facts is not None}
            for rel, analysed in buffers.items():
                if analysed.result.facts is not None:
                    facts[rel] = analysed.result.facts
            if cancelled():
                raise Cancelled()
            project = Project(facts, self.root)
            graph = CallGraph(project, self.catalogs)
        return Build(tasks={t.rel: t for t in tasks}, disk={r.path: r for r in results}, project=project,
                     graph=graph, buffers=buffers, skips=skips)

    def install(self, build: Build) -> None:
        """Take a finished build; buffers analysed since it started are swapped in again."""
        self.tasks, self.disk = build.tasks, build.disk
        self.project, self.graph = build.project, build.graph
        self.ready = True
        pending, self._pending = sorted(self._pending), set()
        self.refresh(pending)
        for rel in build.buffers:
            if rel not in self.buffers:  # closed while the build ran: the disk version counts
                disk = self.disk.get(rel)
                if disk is not None and disk.facts is not None:
                    self.graph.replace_file(disk.facts)
                else:
                    self.graph.remove_file(rel)
        for rel, analysed in self.buffers.items():
            before = build.buffers.get(rel)
            facts = analysed.result.facts
            if facts is not None and (before is None or before.result.facts is not facts):
                self.graph.replace_file(facts)
        # The index is millions of long-lived objects: keep them out of the cyclic garbage
        # collector, whose full passes over them would stall every edit for seconds.
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    # --- buffers (analysis thread) ---------------------------------------------------
    def update(self, buffer: Buffer) -> Analysed:
        source = SourceFile(buffer.rel, buffer.text, buffer.language)
        result = self._analyse(source)
        analysed = Analysed(buffer.uri, buffer.version, source, result)
        previous = self.buffers.get(buffer.rel)
        self.buffers[buffer.rel] = analysed
        facts = result.facts
        if facts is not None and (previous is None or previous.result.facts is not facts):
            untouched: frozenset[int] = frozenset()
            if previous is not None and previous.result.facts is not None:
                untouched = untouched_functions(previous.source, previous.result.facts, source, facts)
            self._put(facts, untouched)
        return analysed

    def _analyse(self, source: SourceFile) -> FileResult:
        rel = source.path
        size = len(source.data)
        if size > self.settings.max_file_size:
            return FileResult(path=rel, lines=source.line_count, skips=(Skip(
                path=rel, reason=SkipReason.TOO_BIG,
                detail=f"{size} bytes, limit {self.settings.max_file_size} bytes"),))
        digest = hashlib.sha256(source.data).hexdigest()
        module, is_package = self.module_of(rel, source.language)
        disk = self.disk.get(rel)
        if disk is not None and disk.digest == digest and disk.facts is not None \
                and disk.facts.module == module:
            return disk  # the buffer is the saved file: nothing to parse
        reuse = self.trees.setdefault(rel, Reuse())
        last = self.buffers.get(rel)
        previous = None
        if last is not None and last.result.facts is not None and not last.result.error_ranges:
            previous = Previous(last.source, last.result.facts)
        return analyse_source(source, module, is_package, self.settings, digest, reuse, previous)

    def close(self, rel: str) -> None:
        """The document is closed: the file on disk (if any, inside the root) takes its place."""
        self.trees.pop(rel, None)
        if self.buffers.pop(rel, None) is None:
            return
        self._reload_from_disk([rel])

    def refresh(self, rels: Iterable[str]) -> None:
        """Files changed on disk: re-read those that are not open."""
        if self.root is not None and not self.ready:
            self._pending.update(rels)
            return
        self._reload_from_disk([rel for rel in rels if rel not in self.buffers])

    def _reload_from_disk(self, rels: Sequence[str]) -> None:
        if self.root is None:
            for rel in rels:
                self._drop(rel)
            return
        for rel in rels:
            task = self._disk_task(rel)
            if task is None:
                self.tasks.pop(rel, None)
                self.disk.pop(rel, None)
                self._drop(rel)
                continue
            result = analyse_file(task, self.settings)
            self.tasks[rel], self.disk[rel] = task, result
            if result.facts is not None:
                self._put(result.facts)
            else:
                self._drop(rel)

    def _disk_task(self, rel: str) -> FileTask | None:
        """The file as discovery sees it: a regular file inside the root, within the size cap."""
        assert self.root is not None
        if rel not in self.tasks and self.rel_of(os.path.join(self.root, rel)) is None:
            return None
        path = os.path.join(self.root, *rel.split("/"))
        if not os.path.lexists(path):
            return None
        tasks, _skips = discover([path], self.root, exclude=self.config.exclude,
                                 max_file_size=self.settings.max_file_size, cwd=self.root)
        return next((t for t in tasks if t.rel == rel), None)

    def _put(self, facts: FileFacts, untouched: frozenset[int] = frozenset()) -> None:
        if self.graph is not None:
            self.graph.replace_file(facts, untouched)
        else:
            self.project.replace_file(facts)

    def _drop(self, rel: str) -> None:
        if self.graph is not None:
            self.graph.remove_file(rel)
        else:
            self.project.remove_file(rel)

    # --- findings (analysis thread) ----------------------------------------------------
    def reports(self) -> list[Report]:
        """Findings of every open document, as the CLI would report them."""
        if not self.buffers:
            return []
        if self.graph is None:
            self.graph = CallGraph(self.project, self.catalogs)
        paths = frozenset(self.buffers)
        chosen = [cls for cls in self.classes if cls.id in self.active]
        options = self.settings.rule_options
        ctx = ProjectContext(self.project, self.catalogs, options, _graph=self.graph, paths=paths)
        raw, rule_skips = run_project_rules({}, self.catalogs, options, chosen, self.root or "", context=ctx)
        for skip in rule_skips:
            log.warning("perfsense: %s", skip.detail)
        broken = {rel for rel, a in self.buffers.items() if a.result.facts is None}
        raw = [f for f in raw if f.location.path not in broken]
        facts, ranges = {}, {}
        for rel, analysed in self.buffers.items():
            raw.extend(analysed.result.findings)
            if analysed.result.facts is not None:
                facts[rel] = analysed.result.facts
            if analysed.result.error_ranges:
                ranges[rel] = analysed.result.error_ranges
        sources = {rel: a.source for rel, a in self.buffers.items()}
        final = finalize(raw, facts, ranges, self.config, self.active, self.classes,
                         lambda rel, line: sources[rel].line_text(line) if rel in sources else "", paths=paths)
        by_path: dict[str, list[Finding]] = {rel: [] for rel in self.buffers}
        for finding in final:
            by_path.setdefault(finding.location.path, []).append(finding)
        return [Report(a.uri, a.version, rel, a.source, tuple(by_path.get(rel, ())), a.result.skips,
                       parsed=not any(s.reason is SkipReason.PARSE_ERROR for s in a.result.skips))
                for rel, a in self.buffers.items()]

    def path_of(self, rel: str) -> str | None:
        return os.path.join(self.root, *rel.split("/")) if self.root is not None else None

    def source_of(self, rel: str) -> SourceFile | None:
        """Text of a project file for column conversion: the open buffer, else the file on disk."""
        analysed = self.buffers.get(rel)
        if analysed is not None:
            return analysed.source
        task = self.tasks.get(rel)
        if task is None:
            return None
        from perfsense.scanner.reading import ReadError, read_capped
        from perfsense.scanner.source import DecodeError, decode

        try:
            return SourceFile(rel, decode(read_capped(task.path, self.settings.max_file_size), task.language),
                              task.language)
        except (ReadError, DecodeError):
            return None
