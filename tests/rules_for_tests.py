"""Deliberately misbehaving rules, passed to scans through `ScanOptions.extra_rules`.

They live outside `perfsense.rules`, so the registry never picks them up. They misbehave
only on files holding their trigger word, and the crashing ones only inside a worker
process (never in the test process itself).
"""
from __future__ import annotations

import faulthandler
import os
import signal
from collections.abc import Iterable

from perfsense.scanner.engine.rule import Docs, FileContext, FileRule, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, Finding

TEST_PID = os.getpid()
_DOCS = Docs(what="Test rule.", why="Test rule.", instead="Nothing.")


class _TestRule(FileRule):
    category = Category.META
    summary = "A rule that exists for the reliability tests."
    docs = _DOCS
    trigger = ""

    def triggered(self, ctx: FileContext) -> bool:
        return self.trigger in ctx.source.text

    def in_worker(self) -> bool:
        return os.getpid() != TEST_PID


class MarkRule(_TestRule):
    """Reports every line that holds `MARK`: a finding on every file, to check what survives."""

    id = "test-mark"
    name = "TestMark"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        for number in range(ctx.source.line_count):
            text = ctx.source.line_text(number)
            column = text.find("MARK")
            if column >= 0:
                span = ctx.source.span(ctx.source.line_starts[number] + len(text[:column].encode()),
                                       ctx.source.line_starts[number] + len(text[:column + 4].encode()))
                yield self.make(path=ctx.source.path, span=span, message="`MARK` here.")


class BoomRule(_TestRule):
    id = "test-boom"
    name = "TestBoom"
    trigger = "BOOM"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        if self.triggered(ctx):
            raise RuntimeError("deliberate failure")
        return ()


class SpinRule(_TestRule):
    """Loops forever in Python: SIGALRM ends it."""

    id = "test-spin"
    name = "TestSpin"
    trigger = "SPIN"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        while self.triggered(ctx):
            pass
        return ()


class StuckRule(_TestRule):
    """Loops forever with SIGALRM blocked, as code stuck in C would: only the watchdog ends it."""

    id = "test-stuck"
    name = "TestStuck"
    trigger = "STUCK"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        if self.triggered(ctx) and self.in_worker():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                pass
        return ()


class CrashRule(_TestRule):
    """Kills its worker process (as a segfault in a parser would)."""

    id = "test-crash"
    name = "TestCrash"
    trigger = "CRASH"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        if self.triggered(ctx) and self.in_worker():
            faulthandler.disable()  # no traceback dump from the dying worker
            os.kill(os.getpid(), signal.SIGSEGV)
        return ()


class HogRule(_TestRule):
    id = "test-hog"
    name = "TestHog"
    trigger = "HOG"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        if self.triggered(ctx):
            raise MemoryError()
        return ()


class GreedyRule(_TestRule):
    """Asks for 8 GB (lazily zeroed pages: nothing is touched even if it were granted)."""

    id = "test-greedy"
    name = "TestGreedy"
    trigger = "GREEDY"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        if self.triggered(ctx) and self.in_worker():
            block = bytearray(8 << 30)
            del block
        return ()


class ProjectBoomRule(ProjectRule):
    """A project rule with a bug: contained to itself, the other rules still report."""

    id = "test-project-boom"
    name = "TestProjectBoom"
    category = Category.META
    summary = "A rule that exists for the reliability tests."
    docs = _DOCS

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        raise KeyError("deliberate failure")


class ProjectSpinRule(ProjectBoomRule):
    """A project rule that never ends, after yielding one finding (which must not be kept)."""

    id = "test-project-spin"
    name = "TestProjectSpin"

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        path = ctx.targets()[0]
        from perfsense.scanner.model import Position, Span

        yield self.make(path=path, span=Span(Position(0, 0), Position(0, 1)), message="Partial.")
        while True:
            pass


ALL = (MarkRule, BoomRule, SpinRule, StuckRule, CrashRule, HogRule, GreedyRule)


class CollectorStateRule(_TestRule):
    """Reports, on files holding `GCSTATE`, the worker's garbage-collector state: whether
    the automatic collector runs and how many full collections the process has made."""

    id = "test-collector-state"
    name = "TestCollectorState"
    trigger = "GCSTATE"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        import gc

        if self.triggered(ctx):
            message = f"enabled={gc.isenabled()} full={gc.get_stats()[2]['collections']}"
            yield self.make(path=ctx.source.path, span=ctx.source.span(0, 1), message=message)
