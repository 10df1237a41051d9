"""The scan: discover -> per-file stage (process pool, cached) -> project stage -> filters.

The per-file stage is isolated per file: a file that times out, crashes its worker or
trips a rule bug becomes a reported skip, and every other file is still analysed.
"""
from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from perfsense.scanner import __version__
from perfsense.scanner.cache import Cache
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.config import Config
from perfsense.scanner.discovery import FileTask
from perfsense.scanner.engine.finalize import active_rules, finalize
from perfsense.scanner.engine.project_stage import run_project_rules
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.worker import FileResult, Settings, analyse_file
from perfsense.scanner.model import Finding, ScanResult, Skip, SkipReason
from perfsense.scanner.reading import ReadError, read_capped
from perfsense.scanner.source import DecodeError, SourceFile, decode, language_of

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
CHUNK = 8


@dataclass(slots=True, kw_only=True)
class ScanOptions:
    jobs: int = 0  # 0: all cores
    use_cache: bool = True
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    max_file_size: int | None = None
    timeout: float | None = None
    progress: Progress | None = None
    extra_rules: Sequence[Any] = field(default_factory=tuple)  # tests: additional rule classes


def settings_for(config: Config, options: ScanOptions, root: str) -> Settings:
    return Settings(
        max_file_size=options.max_file_size or config.max_file_size,
        timeout=options.timeout or config.timeout,
        minified_line_length=config.minified_line_length,
        catalog=dict(config.catalog),
        rule_options={k: dict(v) for k, v in config.rule_options.items()},
        cache_dir=os.path.join(root, ".perfsense_cache") if options.use_cache else None,
    )


def run_files(tasks: Sequence[FileTask], settings: Settings, jobs: int,
              progress: Progress | None = None) -> list[FileResult]:
    """The per-file stage for every task, in task order."""
    jobs = jobs or os.cpu_count() or 1
    total = len(tasks)
    if jobs == 1 or total < 2 * CHUNK:
        out = []
        for index, task in enumerate(tasks):
            out.append(analyse_file(task, settings))
            if progress:
                progress(index + 1, total)
        return out
    return _pool(tasks, settings, min(jobs, (total + CHUNK - 1) // CHUNK), progress)


def _chunk_worker(tasks: Sequence[FileTask], settings: Settings) -> list[FileResult]:
    return [analyse_file(task, settings) for task in tasks]


def _pool(tasks: Sequence[FileTask], settings: Settings, jobs: int, progress: Progress | None) -> list[FileResult]:
    by_rel: dict[str, FileResult] = {}
    chunks = [list(tasks[i:i + CHUNK]) for i in range(0, len(tasks), CHUNK)]
    failed: list[FileTask] = []
    watchdog = settings.timeout * CHUNK + 60
    with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = {pool.submit(_chunk_worker, chunk, settings): chunk for chunk in chunks}
        while pending:
            done, _ = cf.wait(pending, timeout=watchdog, return_when=cf.FIRST_COMPLETED)
            if not done:  # a worker is stuck in C code: stop the pool, isolate the files
                _kill(pool)
                for chunk in pending.values():
                    failed.extend(chunk)
                break
            for future in done:
                chunk = pending.pop(future)
                try:
                    for result in future.result():
                        by_rel[result.path] = result
                except Exception:  # noqa: BLE001 - worker died (crash, kill, OOM)
                    failed.extend(chunk)
                if progress:
                    progress(len(by_rel), len(tasks))
    for task in failed:
        if task.rel not in by_rel:
            by_rel[task.rel] = _isolated(task, settings)
    return [by_rel[task.rel] for task in tasks]


def _isolated(task: FileTask, settings: Settings) -> FileResult:
    """Re-run one file alone in a fresh process, so a crash is pinned on it."""
    with cf.ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(analyse_file, task, settings)
        try:
            return future.result(timeout=settings.timeout + 30)
        except cf.TimeoutError:
            _kill(pool)
            reason, detail = SkipReason.TIMEOUT, f"over the {settings.timeout:g} s per-file timeout"
        except MemoryError:
            reason, detail = SkipReason.OUT_OF_MEMORY, "ran out of memory"
        except Exception as exc:  # noqa: BLE001
            reason, detail = SkipReason.INTERNAL_ERROR, f"the worker process died ({type(exc).__name__})"
    return FileResult(path=task.rel, skips=(Skip(path=task.rel, reason=reason, detail=detail),))


def _kill(pool: cf.ProcessPoolExecutor) -> None:
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def finish(root: str, tasks: Sequence[FileTask], results: Sequence[FileResult], skips: Sequence[Skip],
           config: Config, options: ScanOptions, settings: Settings) -> ScanResult:
    """Project stage, selection, suppressions, fingerprints; deterministic order."""
    classes = list(rule_classes()) + list(options.extra_rules)
    active = active_rules(classes, config, options.select, options.ignore)
    all_skips = list(skips)
    findings: list[Finding] = []
    facts = {}
    lines = 0
    for result in results:
        all_skips.extend(result.skips)
        lines += result.lines
        findings.extend(result.findings)
        if result.facts is not None:
            facts[result.path] = result.facts
    catalogs = Catalogs(settings.catalog)
    project_findings, project_skips = run_project_rules(
        facts, catalogs, settings.rule_options, [c for c in classes if c.id in active], root)
    findings.extend(project_findings)
    all_skips.extend(project_skips)
    ranges = {r.path: r.error_ranges for r in results if r.error_ranges}
    texts = _LineTexts({task.rel: task.path for task in tasks})
    findings = finalize(findings, facts, ranges, config, active, classes, texts)
    analysed = sorted(r.path for r in results if r.facts is not None)
    ordered_skips = sorted(set(all_skips), key=lambda s: (s.path, s.reason.value, s.line or 0, s.detail))
    return ScanResult(root=root, findings=findings, skips=ordered_skips, files=analysed,
                      lines_scanned=lines)


class _LineTexts:
    """Source lines for fingerprints, read on demand (only files with findings)."""

    def __init__(self, paths: dict[str, str]) -> None:
        self.paths = paths
        self.sources: dict[str, SourceFile | None] = {}

    def __call__(self, rel: str, line: int) -> str:
        if rel not in self.sources:
            self.sources[rel] = self._read(rel)
        source = self.sources[rel]
        return source.line_text(line) if source is not None else ""

    def _read(self, rel: str) -> SourceFile | None:
        path = self.paths.get(rel)
        language = language_of(rel)
        if path is None or language is None:
            return None
        try:
            return SourceFile(rel, decode(read_capped(path, 64 << 20), language), language)
        except (ReadError, DecodeError):
            return None


def project_cache(root: str, settings: Settings) -> Cache:
    return Cache(settings.cache_dir, "project|" + settings.salt + "|" + __version__)
