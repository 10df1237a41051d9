"""How far a cold scan is from what tree-sitter itself costs: the floor under the analysis.

    python bench/floor.py PATH [--jobs N]

Runs, on the same tree and with the same number of processes, steps that each do a little
more of what a scan does, and prints the wall time, the CPU time of all processes and the
KLOC/s of each:

1. parse every file with tree-sitter, nothing else;
2. also run the one query pass fact extraction makes (the node types it handles);
3. also touch each captured node once from Python (its type and start);
4. the per-file stage of a scan (parse, facts, file rules, results pickled back);
5. the project stage on those results (call graph and project rules, one process).

The budget line is what a 100 KLOC/s cold scan may spend. Steps 1-3 are the floor the
prescribed stack (tree-sitter driven from Python) puts under any analysis; the distance
from step 3 to steps 4 and 5 is the analysis written in Python.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import tree_sitter as ts

from perfsense.scanner.discovery import discover
from perfsense.scanner.engine.runner import ScanOptions, finish, paused_gc, run_files, settings_for
from perfsense.scanner.engine.scan import ScanRequest, load
from perfsense.scanner.facts.javascript import NODE_TYPES as JS_TYPES
from perfsense.scanner.facts.python import NODE_TYPES as PY_TYPES
from perfsense.scanner.parse import language, parse, query
from perfsense.scanner.reading import ReadError, read_capped


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _step(tasks: list[tuple[str, str]], depth: int) -> int:
    """Parse (depth 1), query (2), touch each capture (3); returns the captures seen."""
    seen = 0
    for path, lang in tasks:
        try:
            data = read_capped(path, 1 << 20)
        except ReadError:
            continue
        root = parse(data, lang).root_node
        if depth < 2:
            continue
        grammar = language(lang)
        kinds = [kind for kind in (PY_TYPES if lang == "python" else JS_TYPES) if grammar.id_for_node_kind(kind, True)]
        found = ts.QueryCursor(query(lang, "[" + " ".join(f"({k})" for k in kinds) + "] @n")).captures(root)
        nodes = found.get("n", [])
        if depth < 3:
            seen += len(nodes)
            continue
        for node in nodes:
            seen += node.start_byte >= 0 and bool(node.type)
    return seen


def _timed(label: str, run, lines: int) -> None:
    start, cpu = time.perf_counter(), _cpu()
    extra = run()
    wall, used = time.perf_counter() - start, _cpu() - cpu
    note = f"  ({extra})" if extra else ""
    print(f"{label:52} {wall:7.2f} s wall {used:7.2f} s CPU {lines / 1000 / wall:8.1f} KLOC/s{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    root, config = load(ScanRequest(paths=[args.path], cwd=os.getcwd()))
    options = ScanOptions(jobs=args.jobs, use_cache=False)
    settings = settings_for(config, options, root)
    tasks, skips = discover([args.path], root, exclude=config.exclude, max_file_size=settings.max_file_size)
    plain = [(task.path, "tsx" if task.path.endswith(".tsx") else task.language) for task in tasks]
    lines = sum(read_capped(path, 1 << 20).count(b"\n") for path, _lang in plain)
    print(f"{len(tasks)} files, {lines:,} lines, {args.jobs} processes; "
          f"a 100 KLOC/s scan has {lines / 100_000:.2f} s of wall time")
    shares = [plain[i::args.jobs * 8] for i in range(args.jobs * 8)]

    def pool(depth: int):
        def run() -> str:
            with ProcessPoolExecutor(args.jobs) as ex:
                seen = sum(ex.map(_step, shares, [depth] * len(shares)))
            return f"{seen:,} captured nodes" if depth > 1 else ""
        return run

    _timed("1. parse", pool(1), lines)
    _timed("2. parse + the extraction's query pass", pool(2), lines)
    _timed("3. ... + each captured node touched from Python", pool(3), lines)
    results = []
    with paused_gc():
        _timed("4. per-file stage of a scan", lambda: results.extend(run_files(tasks, settings, args.jobs)) or "",
               lines)
        _timed("5. project stage of a scan (one process)",
               lambda: finish(root, tasks, results, skips, config, options, settings) and "", lines)
        sys.stdout.flush()
        os._exit(0)  # (freeing the facts object by object would take seconds: not measured here)


if __name__ == "__main__":
    sys.exit(main())
