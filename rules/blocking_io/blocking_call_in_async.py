"""`blocking-call-in-async`: blocking I/O on an event loop, directly or through sync helpers."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from perfsense.rules.blocking_io.catalog import match_blocking
from perfsense.rules.blocking_io.context import runs_on_event_loop
from perfsense.rules.blocking_io.examples import INVALID, VALID
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, Confidence, Finding, Severity
from perfsense.scanner.project import FunctionRef
from perfsense.scanner.testcode import is_test_function, is_test_path

if TYPE_CHECKING:
    from perfsense.scanner.callgraph import CallGraph, Edge, EffectSite


FIX_KEY = "asyncio-sleep"  # the quick fix `fixes.sleep_to_asyncio` applies


class BlockingCallInAsync(ProjectRule):
    id = "blocking-call-in-async"
    name = "BlockingCallInAsync"
    category = Category.BLOCKING_IO
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A blocking call (HTTP, file, subprocess, sleep, sync database) runs on the event loop."
    tags = ("async", "event-loop")
    docs = Docs(
        what="""
            Finds calls that block the thread (`requests.get`, `time.sleep`, `open()`,
            `subprocess.run`, sync database drivers and sessions, `fs.readFileSync`,
            `execSync`, `pbkdf2Sync`, `zlib.gzipSync`, …) made from code that runs on an
            event loop: a Python `async def`, a JavaScript/TypeScript async function, or a
            request handler (Express, Koa, Fastify, NestJS, Next.js API routes). The call
            is found when it is written in the async function itself and when it is reached
            through synchronous helpers in any file of the project; the finding is at the
            call inside the async function and shows the chain of calls down to the
            blocking one. An awaited call is never reported: it returns an awaitable, so it
            is an async API that shares a name with a blocking one (tornado's
            `await stream.read_bytes(n)`, `await anyio.Path(p).read_text()`). Also not
            reported: a method of the project's own class that shares a name with a
            blocking one (what it reaches is followed instead), a socket the same file makes
            non-blocking (`setblocking(False)`), and `socket.getaddrinfo` with
            `AI_NUMERICHOST`, which does no DNS lookup.
        """,
        why="""
            An event loop runs one thing at a time. While a blocking call waits for the
            network, the disk or a child process, every other request served by that loop
            waits too: one slow upstream freezes the whole service. The cost is negligible
            only in code that runs once at start-up (module top level, CLI scripts), which
            perfsense does not report, or when the call is handed to a thread
            (`asyncio.to_thread`, `run_in_executor`, `run_in_threadpool`, a FastAPI or
            Starlette background task), which silences the rule.
        """,
        instead="""
            Use the non-blocking form named in the message (an async HTTP client,
            `await asyncio.sleep`, `aiofiles`, an async database driver, `fs.promises`,
            the callback form of `crypto`/`zlib`), or hand the synchronous work to a thread
            with `await asyncio.to_thread(helper, …)`. A plain `def` route in FastAPI runs
            in a thread pool and is fine as it is.
        """,
        options="""
            `include-tests` (default `false`): also report in test code (`tests/`, `test_*.py`,
            `*.test.ts`, `test_*` functions), where a blocking call stalls one test's event
            loop for a moment (writing a fixture file, reading an expected output).
        """,
    )
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}
    valid = VALID
    invalid = INVALID
    fix_available = True

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        graph = ctx.graph
        project = ctx.project
        tests = bool(self.options.get("include-tests"))
        for path in ctx.targets():
            if not tests and is_test_path(path):
                continue
            facts = project.files[path]
            for fn in facts.functions:
                ref = FunctionRef(path, fn.id)
                if facts.is_script and fn.handler is None and facts.language != "python":
                    continue
                if not tests and is_test_function(fn.name):
                    continue
                if not runs_on_event_loop(graph, ref):
                    continue
                yield from self._direct(ctx, ref)
                yield from self._through_helpers(graph, ref)

    def _direct(self, ctx: ProjectContext, ref: FunctionRef) -> Iterable[Finding]:
        project = ctx.project
        facts = project.files[ref.path]
        where = _where(project, ref)
        for call in facts.calls:
            if call.func != ref.id:
                continue
            hit = match_blocking(project, facts, call, ctx.catalogs)
            if hit is None:
                continue
            yield self.make(
                path=ref.path, span=call.span, context=project.display_name(ref),
                message=f"`{hit.label}` is a {hit.group.what} in {where}; it stalls the event loop and "
                        f"every request it serves. Use {hit.replacement}.",
                fix=_sleep_fix(project, facts, call),
            )

    def fix(self, finding: Finding, text: str) -> str | None:
        """`time.sleep(x)` written in an `async def` -> `await asyncio.sleep(x)`."""
        if dict(finding.fix).get("fix") != FIX_KEY:
            return None
        from perfsense.rules.blocking_io.fixes import sleep_to_asyncio  # libcst: only when a fix is asked for

        start = finding.location.span.start
        return sleep_to_asyncio(text, start.line, start.column)

    def _through_helpers(self, graph: CallGraph, ref: FunctionRef) -> Iterable[Finding]:
        project = graph.project
        best: dict[EffectSite, tuple[int, int, Edge]] = {}
        kind = next(k for k in graph.kinds if k.name == "blocking")
        for edge in graph.out_edges(ref):
            if edge.how == "inline" or not kind.passes(project, edge):
                continue
            for site, (dist, _via) in graph.reach(edge.callee, "blocking").items():
                key = (dist, edge.call)
                if site not in best or key < best[site][:2]:
                    best[site] = (dist, edge.call, edge)
        facts = project.files[ref.path]
        where = _where(project, ref)
        for site, (_dist, _call, edge) in sorted(best.items(), key=lambda kv: (kv[1][1], kv[0].path, kv[0].call)):
            call = facts.calls[edge.call]
            helper = project.display_name(edge.callee)
            chain = graph.chain(edge.callee, site, "blocks here")
            target = project.files[site.path].calls[site.call]
            yield self.make(
                path=ref.path, span=call.span, context=project.display_name(ref), chain=chain,
                message=f"`{helper}()` is synchronous and reaches `{site.label}` ({_what(graph, site)}, "
                        f"{site.path}:{target.span.start.line + 1}) from {where}; it stalls the event loop. "
                        + (f"Run it with `await asyncio.to_thread({helper.rsplit('.', 1)[-1]}, …)` or make it "
                           "async with a non-blocking call." if facts.language == "python" else
                           f"Make `{helper}` async with a non-blocking call."),
            )



def _where(project, ref: FunctionRef) -> str:
    fn = project.function_fact(ref)
    name = project.display_name(ref)
    if fn.is_async:
        return f"async `{name}()`" if "<" not in name else f"an async callback ({name.strip('<>')})"
    if fn.handler is not None:
        return f"request handler `{name}()`" if "<" not in name else f"a request handler ({name.strip('<>')})"
    return f"`{name}`, which runs on the event loop"


def _what(graph: CallGraph, site: EffectSite) -> str:
    facts = graph.project.files[site.path]
    hit = match_blocking(graph.project, facts, facts.calls[site.call], graph.catalogs)
    return hit.group.what if hit is not None else "a blocking call"


def _sleep_fix(project, facts, call) -> tuple[tuple[str, str], ...]:
    """Fix data for a `time.sleep(…)` statement in Python (the LSP offers `await asyncio.sleep`)."""
    if facts.language != "python" or not call.statement:
        return ()
    if project.resolve(call.callee, facts.path, call.func).text != "time.sleep":
        return ()
    return (("fix", FIX_KEY), ("title", "Replace with `await asyncio.sleep(…)`"))
