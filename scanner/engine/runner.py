"""The scan: discover -> per-file stage (process pool, cached) -> project stage -> filters.

The per-file stage is isolated per file: a file that times out, crashes its worker or
trips a rule bug becomes a reported skip, and every other file is still analysed.
"""
from __future__ import annotations

import concurrent.futures as cf
import gc
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from perfsense.scanner import __version__
from perfsense.scanner.cache import Cache
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.config import Config
from perfsense.scanner.discovery import FileTask
from perfsense.scanner.engine.finalize import active_rules, finalize
from perfsense.scanner.engine.lifetime import exiting
from perfsense.scanner.engine.project_stage import project_budget, run_project_rules
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.worker import (
    FileResult,
    Settings,
    analyse_file,
    analyse_file_pickled,
    unpickle_result,
)
from perfsense.scanner.model import Finding, ScanResult, Skip, SkipReason
from perfsense.scanner.processes import die_with_parent, limit_memory
from perfsense.scanner.reading import ReadError, read_capped
from perfsense.scanner.source import DecodeError, SourceFile, decode, language_of

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
CHUNK = 8
POLL = 0.5  # seconds between checks on the workers
GRACE = 10.0  # seconds a file may run past 1.5x its timeout before its worker counts as stuck
COLLECT_EVERY = 200  # files a worker analyses between two runs of the garbage collector


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
        extra_rules=tuple(options.extra_rules),
    )


def run_files(tasks: Sequence[FileTask], settings: Settings, jobs: int,
              progress: Progress | None = None) -> list[FileResult]:
    """The per-file stage for every task, in task order, always in worker processes.

    A worker stuck in C code (past its file's timeout, where SIGALRM cannot reach) is
    killed and the file reported as `timeout`; a worker that dies (segfault, abort, OOM
    kill) has its current file re-run alone in a fresh process, so the crash is pinned on
    that file (`internal-error`) and every other file is still analysed. A pool in which no
    worker starts or finishes a file for a file's budget (workers stuck before their first
    file, e.g. on a lock another thread held when they were forked) is killed, and its
    files run again, each alone if the next pool makes no progress either.
    """
    if not tasks:
        return []
    jobs = jobs or os.cpu_count() or 1
    results: dict[str, FileResult] = {}
    queue = list(tasks)
    while queue:
        chunks = [queue[i:i + CHUNK] for i in range(0, len(queue), CHUNK)]
        before = len(results)
        retry, suspects = _round(chunks, settings, min(jobs, len(chunks)), results, progress, len(tasks))
        for task in suspects:
            if task.rel not in results:
                results[task.rel] = _isolated(task, settings)
        if retry and not suspects and len(results) == before:  # no progress: isolate everything
            suspects, retry = retry, []
            for task in suspects:
                results[task.rel] = _isolated(task, settings)
        queue = [task for task in retry if task.rel not in results]
    return [results[task.rel] for task in tasks]


# Per chunk, in shared memory: when its worker started the file it is on (0: not started,
# -1: chunk done) and that file's index in the chunk. Set in the workers by `_init_worker`.
_progress_state: tuple[Any, Any] | None = None


def _init_worker(clock: Any, where: Any, parent: int) -> None:
    global _progress_state
    _progress_state = (clock, where)
    _init_isolated(parent)


def _init_isolated(parent: int) -> None:
    limit_memory()
    die_with_parent(parent)
    # A forked worker inherits the scan's heap: never walk those objects. Its own objects
    # make no cyclic garbage either (none in all of Django, SQLAlchemy, three.js), but the
    # automatic collector walked each file's facts again and again as they were built: a
    # fifth of a cold scan's CPU. So the worker collects only every COLLECT_EVERY files.
    gc.freeze()
    gc.disable()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run a scan without the cyclic garbage collector.

    The scanning process receives millions of long-lived fact objects and builds the call
    graph from them; each full collection walks all of them again, which took a third of
    a cold scan of Django (unpickling the workers' results: 8.8 s with the collector, 1.2 s
    without). The scan makes little cyclic garbage (reference counting frees the rest), so
    the collector is paused for the scan and resumed after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if exiting():  # the first collection would walk every fact once more (0.8 s)
                gc.freeze()
            gc.enable()


def _chunk_worker(index: int, tasks: Sequence[FileTask], settings: Settings) -> list[bytes]:
    out = []
    state = _progress_state
    for position, task in enumerate(tasks):
        if state is not None:
            state[1][index] = position
            state[0][index] = time.monotonic()
        out.append(analyse_file_pickled(task, settings))
        _collect_now()
    if state is not None:
        state[0][index] = -1.0
    return out


_analysed = 0


def _collect_now() -> None:
    global _analysed
    _analysed += 1
    if _analysed % COLLECT_EVERY == 0:
        gc.collect()


def _round(chunks: list[list[FileTask]], settings: Settings, jobs: int, results: dict[str, FileResult],
           progress: Progress | None, total: int) -> tuple[list[FileTask], list[FileTask]]:
    """Run the chunks in one pool until done, a worker dies or one hangs.

    Returns (tasks to run again in a new pool, tasks to re-run alone); files caught hanging
    past their budget go straight into `results` as `timeout`.
    """
    clock = mp.RawArray("d", len(chunks))
    where = mp.RawArray("i", len(chunks))
    budget = settings.timeout * 1.5 + GRACE
    suspects: list[FileTask] = []
    failed: set[int] = set()
    stop = False
    pool = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                  initargs=(clock, where, os.getpid()))
    try:
        pending = {pool.submit(_chunk_worker, index, chunk, settings): index
                   for index, chunk in enumerate(chunks)}
        seen, moved = list(clock), time.monotonic()  # the last time any worker made progress
        while pending and not stop:
            done, _ = cf.wait(pending, timeout=POLL, return_when=cf.FIRST_COMPLETED)
            now = time.monotonic()
            if done or list(clock) != seen:
                seen, moved = list(clock), now
            elif now - moved > budget:
                stop = True  # no worker started or finished a file: stuck before starting one
            for future in done:
                index = pending.pop(future)
                try:
                    for task, payload in zip(chunks[index], future.result()):
                        result = unpickle_result(payload)
                        if result is None:
                            suspects.append(task)  # re-run alone, past the cache
                        else:
                            results[result.path] = result
                except BrokenProcessPool:  # a worker died: find its file below
                    failed.add(index)
                    stop = True
                except Exception:  # noqa: BLE001 - the chunk failed in Python: re-run its files alone
                    log.debug("chunk failed", exc_info=True)
                    suspects.extend(chunks[index])
                if progress:
                    progress(len(results), total)
            if any(clock[i] > 0 and now - clock[i] > budget for i in pending.values()):
                stop = True  # a worker is stuck in C code past its file's timeout
        failed.update(pending.values())
    finally:
        if stop:
            _kill(pool)
        pool.shutdown(wait=True, cancel_futures=True)
    retry: list[FileTask] = []
    now = time.monotonic()
    for index in sorted(failed):
        chunk, started = chunks[index], clock[index]
        if started == 0:  # never started
            retry.extend(chunk)
        elif started < 0:  # finished, but the result never came back
            suspects.extend(chunk)
        else:
            current = chunk[where[index]]
            if now - started > budget:
                results[current.rel] = _timeout(current, settings)
            else:
                suspects.append(current)
            retry.extend(task for task in chunk if task is not current)
    return retry, suspects


def _timeout(task: FileTask, settings: Settings) -> FileResult:
    return FileResult(path=task.rel, skips=(Skip(path=task.rel, reason=SkipReason.TIMEOUT,
                                                 detail=f"over the {settings.timeout:g} s per-file timeout"),))


def _isolated(task: FileTask, settings: Settings) -> FileResult:
    """Re-run one file alone in a fresh process, so a crash is pinned on it."""
    pool = cf.ProcessPoolExecutor(max_workers=1, initializer=_init_isolated, initargs=(os.getpid(),))
    try:
        future = pool.submit(analyse_file, task, settings)
        return future.result(timeout=settings.timeout * 1.5 + GRACE)
    except cf.TimeoutError:
        _kill(pool)
        return _timeout(task, settings)
    except MemoryError:
        reason, detail = SkipReason.OUT_OF_MEMORY, "ran out of memory"
    except BrokenProcessPool:
        reason, detail = SkipReason.INTERNAL_ERROR, "the worker process died on this file"
    except Exception as exc:  # noqa: BLE001
        reason, detail = SkipReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return FileResult(path=task.rel, skips=(Skip(path=task.rel, reason=reason, detail=detail),))


def _kill(pool: cf.ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
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
        facts, catalogs, settings.rule_options, [c for c in classes if c.id in active], root,
        budget=project_budget(settings.timeout, len(facts)))
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
