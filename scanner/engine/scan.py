"""One scan request end to end: root, config, (cached) analysis, report text.

An unchanged tree is answered from the whole-scan cache: the files are read and hashed,
nothing is parsed, no worker process starts.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from perfsense.scanner import __version__
from perfsense.scanner.config import Config, load_config
from perfsense.scanner.discovery import FileTask, discover, scan_root
from perfsense.scanner.engine.lifetime import hold
from perfsense.scanner.engine.registry import categories, rule_classes
from perfsense.scanner.engine.runner import (
    Progress,
    ScanOptions,
    finish,
    paused_gc,
    project_cache,
    run_files,
    settings_for,
)
from perfsense.scanner.model import ScanResult
from perfsense.scanner.reading import ReadError, read_capped


@dataclass(slots=True, kw_only=True)
class ScanRequest:
    paths: Sequence[str] = (".",)
    fmt: str = "text"
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    jobs: int = 0
    use_cache: bool = True
    config_path: str | None = None
    timeout: float | None = None
    max_file_size: int | None = None
    category: str = "perfsense"
    verbose: bool = False
    progress: Progress | None = None
    cwd: str = field(default_factory=os.getcwd)
    baseline: str | None = None  # report only findings not in this baseline file
    write_baseline: str | None = None  # record every finding in this baseline file
    diff_base: str | None = None  # report only findings on lines changed since this revision
    extra_rules: Sequence[type] = ()  # tests: rule classes besides the registry's


@dataclass(slots=True)
class Outcome:
    result: ScanResult
    report: str
    summary_line: str
    baseline_written: int | None = None  # entries written by `write_baseline`


def load(request: ScanRequest) -> tuple[str, Config]:
    root = scan_root(list(request.paths) or ["."], request.cwd)
    classes = rule_classes()
    config = load_config(
        root, request.config_path, rule_ids=[c.id for c in classes], categories=categories(),
        rule_option_names={c.id: list(c.default_options) for c in classes},
    )
    return root, config


def analyse(request: ScanRequest) -> ScanResult:
    root, config = load(request)
    options = ScanOptions(jobs=request.jobs, use_cache=request.use_cache, select=request.select,
                          ignore=request.ignore, max_file_size=request.max_file_size,
                          timeout=request.timeout, progress=request.progress,
                          extra_rules=tuple(request.extra_rules))
    settings = settings_for(config, options, root)
    paths = [os.path.join(request.cwd, p) for p in request.paths] or [root]
    tasks, skips = discover(paths, root, exclude=config.exclude, max_file_size=settings.max_file_size)
    cache = project_cache(root, settings)
    key = _whole_scan_key(cache, tasks, skips, config, options, settings.max_file_size, root) if cache.enabled else ""
    if key:
        cached = cache.get(key)
        if isinstance(cached, ScanResult):
            return cached
    with paused_gc():
        results = run_files(tasks, settings, options.jobs, options.progress)
        result = finish(root, tasks, results, skips, config, options, settings)
        hold(results)
    if key:
        cache.put(key, result)
    return result


def run_scan(request: ScanRequest) -> Outcome:
    """Analyse, apply baseline and diff mode, render. Raises ConfigError, BaselineError, GitError."""
    from perfsense.scanner.engine import adoption
    from perfsense.scanner.report import render

    plan = adoption.prepare(list(request.paths), request.cwd, baseline=request.baseline,
                            write_baseline=request.write_baseline, diff_base=request.diff_base)
    applied = adoption.apply(plan, analyse(request))
    result, provenance = applied.result, None
    if request.fmt == "sarif":
        result, provenance = adoption.for_sarif(result)
    report = render(result, request.fmt, list(rule_classes()), tool_version=__version__,
                    category=request.category, provenance=provenance, verbose=request.verbose,
                    baseline_fixed=applied.baseline_fixed)
    return Outcome(applied.result, report, summary_line(applied.result), applied.baseline_written)


def summary_line(result: ScanResult) -> str:
    return (f"perfsense: {len(result.findings)} finding(s) in {result.files_scanned} file(s), "
            f"{len(result.skips)} skipped or partly analysed")


def _whole_scan_key(cache, tasks: Sequence[FileTask], skips, config: Config, options: ScanOptions,
                    cap: int, root: str = "") -> str:
    """Changes when any file, skip, setting or the selection changes; '' if a file is unreadable."""
    digest = hashlib.sha256()
    for task in tasks:
        try:
            data = read_capped(task.path, cap)
        except ReadError:
            return ""
        digest.update(f"{task.rel}\0{task.module}\0{task.is_package}\0".encode("utf-8", "surrogatepass"))
        digest.update(hashlib.sha256(data).digest())
    for skip in skips:
        digest.update(repr(skip).encode("utf-8", "surrogatepass"))
    rels = [task.rel for task in tasks]
    for cls in rule_classes():
        for path in sorted(set(cls.scan_inputs(root, rels))):
            try:
                data = read_capped(path, cap)
            except ReadError as exc:
                data = str(exc.reason).encode()
            digest.update(path.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(data).digest())
    extra = [f"{cls.__module__}.{cls.__qualname__}" for cls in options.extra_rules]
    selection = repr((sorted(options.select), sorted(options.ignore), config, extra))
    return cache.key(__version__, digest.hexdigest(), selection)
