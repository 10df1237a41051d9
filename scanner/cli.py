"""Command line: `perfsense scan | rules | explain | lsp`.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error or tool failure.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence

from perfsense.scanner import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
log = logging.getLogger("perfsense")


def _ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfsense", description="Find performance anti-patterns in Python and JavaScript/TypeScript code.")
    parser.add_argument("--version", action="version", version=f"perfsense {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser("scan", help="scan files and directories", description="Scan files and directories.")
    scan.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default: .)")
    scan.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    scan.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (default: stdout)")
    scan.add_argument("--select", type=_ids, action="extend", default=[], metavar="IDS",
                      help="only these rule ids or categories (comma-separated)")
    scan.add_argument("--ignore", type=_ids, action="extend", default=[], metavar="IDS",
                      help="skip these rule ids or categories (comma-separated)")
    scan.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    scan.add_argument("--no-cache", action="store_true", help="do not read or write .perfsense_cache/")
    scan.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    scan.add_argument("--strict", action="store_true", help="exit 1 when a file was skipped or partly parsed")
    scan.add_argument("--config", metavar="FILE", help="configuration file (default: perfsense.toml or pyproject.toml)")
    scan.add_argument("--timeout", type=float, metavar="SECONDS", help="per-file time budget (default: 20)")
    scan.add_argument("--max-file-size", type=int, metavar="BYTES", help="skip larger files (default: 1 MiB)")
    scan.add_argument("--category", default="perfsense", help="SARIF automationDetails category")
    adopt = scan.add_mutually_exclusive_group()
    adopt.add_argument("--baseline", metavar="FILE",
                       help="report only findings that are not recorded in this baseline file")
    adopt.add_argument("--write-baseline", metavar="FILE",
                       help="record every current finding in FILE (JSON) and exit 0")
    scan.add_argument("--diff-base", metavar="REV",
                      help="report only findings on lines changed since git revision REV "
                           "(the whole project is still analysed)")
    scan.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary on stderr")
    scan.add_argument("--verbose", "-v", action="store_true", help="log what happens to stderr")

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule_id", metavar="RULE-ID")

    lsp = sub.add_parser("lsp", help="run the language server (stdio by default)")
    lsp.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    lsp.add_argument("--tcp", action="store_true", help="listen on TCP (for debugging)")
    lsp.add_argument("--host", default="127.0.0.1")
    lsp.add_argument("--port", type=int, default=2087)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        if args.command == "scan":
            return _scan(args)
        if args.command == "rules":
            return _rules(args.format)
        if args.command == "explain":
            return _explain(args.rule_id)
        from perfsense.lsp.server import serve

        return serve(tcp=args.tcp, host=args.host, port=args.port)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _scan(args: argparse.Namespace) -> int:
    from perfsense.scanner.baseline import BaselineError
    from perfsense.scanner.config import ConfigError
    from perfsense.scanner.engine.scan import ScanRequest, run_scan
    from perfsense.scanner.vcs import GitError

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="perfsense: %(message)s", stream=sys.stderr)
    if args.jobs < 0:
        print("perfsense: --jobs must be 0 (all cores) or more", file=sys.stderr)
        return EXIT_ERROR
    if args.write_baseline and args.diff_base:
        print("perfsense: --write-baseline records every finding; it cannot be combined with --diff-base",
              file=sys.stderr)
        return EXIT_ERROR
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        print(f"perfsense: no such file or directory: {missing[0]}", file=sys.stderr)
        return EXIT_ERROR
    progress = None if args.quiet else _Progress()
    request = ScanRequest(
        paths=args.paths, fmt=args.format, select=args.select, ignore=args.ignore, jobs=args.jobs,
        use_cache=not args.no_cache, config_path=args.config, timeout=args.timeout,
        max_file_size=args.max_file_size, category=args.category, verbose=args.verbose,
        progress=progress, baseline=args.baseline, write_baseline=args.write_baseline,
        diff_base=args.diff_base,
    )
    try:
        outcome = run_scan(request)
    except ConfigError as exc:
        print(f"perfsense: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (BaselineError, GitError) as exc:
        print(f"perfsense: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if progress is not None:
            progress.close()
    _write(outcome.report, args.output)
    if not args.quiet and args.output and args.format != "text":
        print(outcome.summary_line, file=sys.stderr)
    if outcome.baseline_written is not None:
        if not args.quiet:
            print(f"perfsense: wrote {outcome.baseline_written} finding(s) to the baseline "
                  f"{args.write_baseline}", file=sys.stderr)
        return EXIT_CLEAN
    if outcome.result.findings and not args.exit_zero:
        return EXIT_FINDINGS
    if args.strict and outcome.result.skips and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _write(report: str, output: str | None) -> None:
    if output and output != "-":
        with open(output, "w", encoding="utf-8", errors="replace", newline="\n") as out:
            out.write(report)
        return
    data = report.encode(sys.stdout.encoding or "utf-8", errors="replace")
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


class _Progress:
    """`perfsense: 812/2818 files` on stderr, only on a terminal and only after a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.tty or now - self.start < 1.0 or now - self.last < 0.1:
            return
        self.last = now
        self.shown = True
        sys.stderr.write(f"\rperfsense: {done}/{total} files")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _rules(fmt: str) -> int:
    from perfsense.scanner.engine.registry import rule_classes

    rows = [{"id": c.id, "category": c.category.value, "languages": list(c.languages),
             "severity": c.severity.value, "precision": c.confidence.value, "summary": c.summary}
            for c in rule_classes()]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    width = max(len(r["id"]) for r in rows)
    cat = max(len(r["category"]) for r in rows)
    print(f"{'ID':<{width}}  {'CATEGORY':<{cat}}  {'LANGUAGES':<18}  SUMMARY")
    for r in rows:
        print(f"{r['id']:<{width}}  {r['category']:<{cat}}  {', '.join(r['languages']):<18}  {r['summary']}")
    return EXIT_CLEAN


def _explain(rule_id: str) -> int:
    from perfsense.scanner.engine.docs import render_text
    from perfsense.scanner.engine.registry import rule_class, rule_classes

    cls = rule_class(rule_id)
    if cls is None:
        known = ", ".join(c.id for c in rule_classes())
        print(f"perfsense: unknown rule {rule_id!r}; known rules: {known}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(render_text(cls))
    return EXIT_CLEAN


def run() -> None:
    """The console script: `main`, then leave without tearing the interpreter down.

    A scan of a large project ends with millions of fact objects in memory, and freeing
    them one by one at exit (after a last full garbage collection) took 6 s after a cold
    scan of Django that took 17 s. Output is flushed first; no worker process is left (the
    pools are shut down, and workers end with their parent anyway).
    """
    from perfsense.scanner.engine.lifetime import hold_until_exit

    hold_until_exit()
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help and --version (0), usage errors (2)
        code = EXIT_CLEAN if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_ERROR
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except ValueError:  # closed on purpose (the language server's channel)
            pass
        except OSError:  # a broken pipe: the output is lost
            code = EXIT_ERROR
    os._exit(code)


if __name__ == "__main__":
    run()
