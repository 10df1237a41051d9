"""`listener-added-per-request` and `interval-started-per-request`: acquisitions repeated per
request, job, event or loop iteration that nothing releases."""
from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from perfsense.rules.memory_leak import examples_per_request as ex
from perfsense.rules.memory_leak.catalog import compiled
from perfsense.rules.memory_leak.leakfacts import CollectsLeakFacts, leak_facts
from perfsense.rules.memory_leak.records import Acquisition
from perfsense.rules.memory_leak.repeat_sites import Report, in_mount_context, report_places
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, Confidence, Finding, Severity


class _PerRequest(CollectsLeakFacts, ProjectRule):
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    languages = ("javascript",)
    kinds: ClassVar[frozenset[str]] = frozenset()

    def wanted(self, acq: Acquisition) -> bool:
        return acq.kind in self.kinds and acq.leaks

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        graph = ctx.graph
        project = ctx.project
        targets = set(ctx.targets())
        seen: set[tuple[str, int]] = set()
        for path in sorted(project.files):
            facts = project.files[path]
            if not self.applies_to(facts.language):
                continue
            for acq in leak_facts(facts).acquisitions:
                if not self.wanted(acq) or in_mount_context(graph, path, acq.func):
                    continue
                res = compiled(ctx.catalogs, facts.language).resources[acq.resource]
                for report in report_places(graph, path, acq):
                    key = (report.path, report.span.start.line)
                    if report.path not in targets or key in seen:
                        continue
                    seen.add(key)
                    yield self.make(path=report.path, span=report.span, chain=report.chain,
                                    context=project.display_name(report.context),
                                    message=self.message(ctx, acq, report, res.fix))

    def message(self, ctx: ProjectContext, acq: Acquisition, report: Report, fix: str) -> str:
        raise NotImplementedError


def _through(ctx: ProjectContext, report: Report, acq: Acquisition) -> str:
    if report.through is None:
        return f"`{acq.label}`"
    return f"`{ctx.project.display_name(report.through)}()` (which calls `{acq.label}`)"


class ListenerAddedPerRequest(_PerRequest):
    id = "listener-added-per-request"
    name = "ListenerAddedPerRequest"
    summary = "A listener is added to a long-lived emitter on every request, job or event and never removed."
    tags = ("listener", "event-emitter")
    kinds = frozenset({"listener"})
    docs = Docs(
        what="""
            Finds `emitter.on(...)`, `process.on(...)`, `server.on(...)` and
            `addEventListener(...)` calls on an object that outlives the request (a
            module-level or imported emitter, `process`, `window`, `document`) made from code
            that runs per request, per job, per event or per loop iteration, when nothing in
            the file removes that listener (`off`, `removeListener`, `removeEventListener` on
            the same target and event) and it is not self-removing (`once`, `{ once: true }`,
            `{ signal }`). Code runs per request when it is a route handler (Express, Koa,
            Fastify, NestJS, Next.js), a callback of `setInterval` or of another listener, or
            is called, in any file, from such code or from a loop.
        """,
        why="""
            Every registration adds one more closure to the emitter's listener list, and that
            closure keeps everything it captured (`req`, `res`, the job) alive. The list
            grows with traffic until the process runs out of memory, and every `emit` calls
            all the stale listeners (Node warns with `MaxListenersExceededWarning` after ten).
            Listeners on per-request objects (`req.on('close')`, a socket passed to the
            handler) die with the request and are not reported; one registration at start-up
            costs nothing.
        """,
        instead="""
            Register the listener once at start-up, or remove it when the request or job is
            done: keep the function in a variable and call `emitter.off(event, fn)` on
            completion and on `req.on('close')`, or use `once` / `events.once(emitter, ...)`.
        """,
    )
    valid = ex.LISTENER_VALID
    invalid = ex.LISTENER_INVALID

    def wanted(self, acq: Acquisition) -> bool:
        return super().wanted(acq) and acq.scope in ("module", "global")

    def message(self, ctx, acq, report, fix) -> str:
        return (f"{_through(ctx, report, acq)} adds an event listener every time it runs ({report.why}) and "
                f"nothing removes it, so listeners and everything they capture pile up; {fix}.")


class IntervalStartedPerRequest(_PerRequest):
    id = "interval-started-per-request"
    name = "IntervalStartedPerRequest"
    summary = "An interval is started per request, job or instance and never cleared."
    tags = ("timer", "setInterval")
    kinds = frozenset({"timer"})
    docs = Docs(
        what="""
            Finds `setInterval` calls whose id is dropped (or kept but never passed to
            `clearInterval`) in code that runs per request, per job, per event or per loop
            iteration, including helpers and constructors in other files that such code
            calls: the finding is at the per-request call of the helper, with the chain down
            to the interval.
        """,
        why="""
            An interval runs until it is cleared. Each request starts one more, each keeps
            its closure (the response, the job, a logger) alive and wakes the event loop
            forever, so memory and CPU grow with traffic. A single app-wide interval started
            at start-up (and `unref()`'d or cleared on shutdown) is fine and not reported.
        """,
        instead="""
            Keep the id and call `clearInterval(id)` when the job ends, the client
            disconnects (`req.on('close', ...)`) or the object is disposed; have a helper
            that starts an interval return a `stop()` function; or start one shared interval
            at start-up that serves every job.
        """,
    )
    valid = ex.INTERVAL_VALID
    invalid = ex.INTERVAL_INVALID

    def message(self, ctx, acq, report, fix) -> str:
        return (f"{_through(ctx, report, acq)} starts an interval every time it runs ({report.why}) and never "
                f"clears it, so timers and their closures accumulate; {fix}.")
