"""Where the time goes: per-file stage by rule/extractor, project stage by effect and rule.

    python bench/stage_profile.py PATH [--files N]

Runs the per-file stage in this process (one core) under cProfile and prints cumulative
seconds for fact extraction and for each rule's `collect`/`check_file`; then builds the
project index and call graph and times each effect kind's detector (every call), the eager
graph (every call resolved, every effect detected and propagated, as the language server
builds it), the lazy graph a scan builds (its nodes) and each project rule on it (a rule's
time includes the calls resolved, effects detected and reach propagated for it). For
profiling only: the numbers include profiler overhead.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.discovery import discover
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.rule import ProjectContext, ProjectRule
from perfsense.scanner.engine.worker import Settings, analyse_file
from perfsense.scanner.project import Project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--files", type=int, default=0, help="only the first N files")
    args = parser.parse_args()
    tasks, _ = discover([args.path], args.path)
    if args.files:
        tasks = tasks[: args.files]
    settings = Settings()
    analyse_file(tasks[0], settings)  # warm up: grammars, catalogs
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    results = [analyse_file(task, settings) for task in tasks]
    profile.disable()
    wall = time.perf_counter() - start
    lines = sum(r.lines for r in results)
    print(f"per-file stage: {len(tasks)} files, {lines} lines, {wall:.2f} s (profiled), "
          f"{lines / wall / 1000:.1f} KLOC/s")
    stats = pstats.Stats(profile)
    buckets: dict[str, float] = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, _tt, cum, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func in ("collect", "check_file") and "/rules/" in filename:
            family = filename.split("/rules/", 1)[1].split("/", 1)[0]
            if any(name == func and f"/rules/{family}/" in caller for caller, _l, name in callers):
                continue  # called by the family's own `collect`: counted there already
            buckets[f"{family}.{func}"] += cum
        if func == "extract" and filename.endswith(("facts/__init__.py",)):
            buckets["engine: fact extraction"] += cum
        if func == "parse" and filename.endswith("parse/__init__.py"):
            buckets["engine: parse"] += cum
    for name, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"  {name:40} {seconds:7.2f} s")
    facts = {r.path: r.facts for r in results if r.facts is not None}
    ctx = ProjectContext(Project(facts, args.path), Catalogs(), {})
    from perfsense.scanner.callgraph import CallGraph

    for kind in CallGraph(Project({}), ctx.catalogs).kinds:
        start = time.perf_counter()
        count = sum(len(tuple(kind.detect(ctx.project, f, call, ctx.catalogs)))
                    for f in facts.values() for call in f.calls)
        print(f"  effect {kind.name:33} {time.perf_counter() - start:7.2f} s  ({count} sites)")
    start = time.perf_counter()
    eager = CallGraph(Project(facts, args.path), ctx.catalogs)
    print(f"  call graph, eager (language server)    {time.perf_counter() - start:7.2f} s  {eager.size}")
    start = time.perf_counter()
    graph = ctx.graph  # (not `graph.size`: it would resolve every call)
    print(f"  call graph, lazy (scan: nodes only)    {time.perf_counter() - start:7.2f} s  {len(graph.graph)}")
    for cls in rule_classes():
        if issubclass(cls, ProjectRule):
            start = time.perf_counter()
            found = len(list(cls().check_project(ctx)))
            print(f"  rule {cls.id:35} {time.perf_counter() - start:7.2f} s  ({found} findings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
