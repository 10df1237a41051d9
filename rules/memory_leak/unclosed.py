"""`unclosed-resource` and `thread-started-in-loop` (Python): files, clients and temporary
files never closed or removed; threads started per item and never joined."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from perfsense.rules.memory_leak import examples_unclosed as ex
from perfsense.rules.memory_leak.catalog import compiled
from perfsense.rules.memory_leak.context import per_item_loops, repeated
from perfsense.rules.memory_leak.leakfacts import CollectsLeakFacts, leak_facts
from perfsense.rules.memory_leak.records import DISCARDED
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, Confidence, Finding, Severity
from perfsense.scanner.project import FunctionRef
from perfsense.scanner.testcode import is_test_code

WHAT_HAPPENS = {
    "file": "its handle and buffered writes are left to the garbage collector (a `ResourceWarning`, lost "
            "data if the process dies, and a descriptor leak wherever the object outlives the call)",
    "client": "its connection pool and sockets stay open until the garbage collector finds it, one pool per call",
    "tempfile": "the file stays on disk after the call, one more for every call",
}


class UnclosedResource(CollectsLeakFacts, ProjectRule):
    id = "unclosed-resource"
    name = "UnclosedResource"
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    languages = ("python",)
    summary = "A file, HTTP/database client or temporary file is opened in a function and never closed or removed."
    tags = ("resource", "file", "context-manager")
    docs = Docs(
        what="""
            Finds `open()` (and `gzip.open`, `codecs.open`, `zipfile.ZipFile`, …),
            `requests.Session()`, `httpx.Client()`/`AsyncClient()`,
            `aiohttp.ClientSession()`, `redis.Redis()` and similar clients, and
            `tempfile.NamedTemporaryFile(delete=False)` / `mkstemp()` / `mkdtemp()` made in a
            function when the result is neither used in a `with` block, nor closed (or
            removed) in that function, nor handed back to the caller (returned, yielded,
            stored on `self`, put in a container, passed to an `ExitStack`).
        """,
        why="""
            Without `with` or `close()` the release is left to the garbage collector: files
            keep their descriptor and unflushed buffer, clients keep a connection pool and
            open sockets, and temporary files stay on disk forever. Each call adds one more;
            under load the process runs out of descriptors or disk. Module-level clients
            created once at start-up, and resources returned to the caller (or managed by a
            framework dependency), are not reported.
        """,
        instead="""
            Use a `with` block (`with open(path, "a") as out:`,
            `async with httpx.AsyncClient() as client:`), or create the client once at
            module level / start-up and reuse it; remove temporary files in `finally`
            (`os.unlink(path)`), or use `tempfile.TemporaryDirectory()` in a `with` block.
        """,
        options="""
            `include-tests` (default `false`): also report in test code (`tests/`, `test_*.py`,
            `test_*` functions), where a resource opened once per test run costs nothing.
        """,
    )
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}
    valid = ex.UNCLOSED_VALID
    invalid = ex.UNCLOSED_INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for path in ctx.targets():
            facts = ctx.project.files[path]
            tests = bool(self.options.get("include-tests"))
            if facts.language != "python" or (is_test_code(path) and not tests):
                continue
            resources = compiled(ctx.catalogs, facts.language).resources
            for acq in leak_facts(facts).acquisitions:
                if acq.kind not in WHAT_HAPPENS or not acq.leaks \
                        or (is_test_code(path, facts.functions[acq.func].name) and not tests):
                    continue
                res = resources[acq.resource]
                call = facts.calls[acq.call]
                verb = "removed" if acq.kind == "tempfile" else "closed"
                article = "an" if res.what[:1] in "aeiouAEIOUH" else "a"
                yield self.make(
                    path=path, span=call.span, context=ctx.project.display_name(FunctionRef(path, acq.func)),
                    message=f"`{acq.label}(…)` opens {article} {res.what} that is never {verb} here, so "
                            f"{WHAT_HAPPENS[acq.kind]}; {res.fix}.")


class ThreadStartedInLoop(CollectsLeakFacts, ProjectRule):
    id = "thread-started-in-loop"
    name = "ThreadStartedInLoop"
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    languages = ("python",)
    summary = "A thread is started for every item or request and never joined."
    tags = ("threading",)
    docs = Docs(
        what="""
            Finds `threading.Thread(...)` / `threading.Timer(...)` started inside a loop or
            in code that runs per request, when the thread object is dropped or never
            joined (`join()`), kept in a container, or returned.
        """,
        why="""
            One thread per item has no upper bound: each holds a stack (8 MB of address
            space by default) and its arguments until it ends, and nothing waits for it, so
            a burst of items or requests creates thousands of threads, errors are lost and
            shutdown cuts work short. A thread started once at start-up is not reported.
        """,
        instead="""
            Submit the work to a bounded `concurrent.futures.ThreadPoolExecutor` shared by
            the process, or keep the threads in a list and `join()` them.
        """,
        options="""
            `include-tests` (default `false`): also report in test code.
        """,
    )
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}
    valid = ex.THREAD_VALID
    invalid = ex.THREAD_INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        reasons = repeated(ctx.graph)
        for path in ctx.targets():
            facts = ctx.project.files[path]
            if facts.language != "python" or (is_test_code(path) and not self.options.get("include-tests")):
                continue
            for acq in leak_facts(facts).acquisitions:
                if acq.kind != "thread" or not acq.leaks:
                    continue
                call = facts.calls[acq.call]
                loops = per_item_loops(facts, call)
                ref = FunctionRef(path, acq.func)
                if not loops and ref not in reasons:
                    continue
                where = (f"in a loop (line {loops[0].header.start.line + 1})" if loops
                         else "per request or job")
                dropped = "dropped" if acq.handle == DISCARDED else "never joined"
                yield self.make(
                    path=path, span=call.span, context=ctx.project.display_name(ref),
                    message=f"`{acq.label}(…)` starts a thread {where} and the thread is {dropped}, so threads "
                            "pile up without bound; submit the work to a shared bounded "
                            "`concurrent.futures.ThreadPoolExecutor` or keep the threads and `join()` them.")
