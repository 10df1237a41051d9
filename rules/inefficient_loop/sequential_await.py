"""`sequential-await-in-loop`: independent HTTP requests awaited one after another."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.inefficient_loop.analysis import analyse, context_name
from perfsense.rules.inefficient_loop.awaits import AwaitSite
from perfsense.rules.inefficient_loop.base import TEST_CODE_OPTION, LoopProjectRule
from perfsense.rules.inefficient_loop.common import family, pattern_set
from perfsense.rules.inefficient_loop.examples import sequential_await as ex
from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.engine.rule import Docs, FileContext, ProjectContext
from perfsense.scanner.facts.model import Value
from perfsense.scanner.model import ChainStep, Confidence, Finding, Severity
from perfsense.scanner.patterns import PatternSet
from perfsense.scanner.project import FunctionRef

MAX_DISTANCE = 4


class SequentialAwaitInLoop(LoopProjectRule):
    id = "sequential-await-in-loop"
    name = "SequentialAwaitInLoop"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "Independent HTTP requests are awaited one at a time in a loop."
    docs = Docs(
        what="""
            Finds an `await` in a `for` / `for…of` loop (or a comprehension) that sends an HTTP
            request, directly (`fetch`, `axios`, `httpx.AsyncClient`, `aiohttp`) or through
            project functions (the finding shows the chain), when the iterations do not depend
            on each other: the loop never stops early (`break`, `return`), does not pause on
            purpose (`sleep`, `setTimeout`), and the request uses only the loop's item,
            values that do not change in the loop, or values computed earlier in the same
            iteration. Awaits of database queries are left to the n-plus-one rules; polling,
            retry and pagination loops (which `break`, sleep, or pass a cursor from one request
            to the next) and `Promise.all` batches are not reported.
        """,
        why="""
            Each request waits for the previous one to finish, so the loop takes the sum of all
            latencies instead of roughly the longest one: 50 requests of 200 ms take 10 s
            instead of 0.2 s, and one slow endpoint holds up all the others. For two or three
            requests, or when the server must see them in order or rate-limits you, sequential
            is fine: add a pause or a concurrency limit and the rule stays quiet.
        """,
        instead="""
            Start the requests together and await them as a group: `await Promise.all(ids.map(id
            => fetchItem(id)))` (`Promise.allSettled` to keep going past failures),
            `await asyncio.gather(*(fetch(id) for id in ids))` or an `asyncio.TaskGroup`; bound
            the concurrency (`p-limit`, an `asyncio.Semaphore`) for large batches.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python", "javascript")
    valid = ex.VALID
    invalid = ex.INVALID

    def collect(self, ctx: FileContext) -> dict:
        return {"awaits": list(analyse(ctx).awaits)}

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        project = ctx.project
        graph: CallGraph | None = None
        for path in self.targets(ctx):
            facts = project.files[path]
            sites: list[AwaitSite] = (facts.extra.get(self.id) or {}).get("awaits", [])
            done: set[int] = set()
            for site in sites:
                if site.loop_start in done:
                    continue
                call = facts.calls[site.call]
                request = _request(project.resolve(call.callee, path, call.func),
                                   pattern_set(ctx.catalogs, family(facts.language), "http"))
                chain: list[ChainStep] = []
                if request:
                    what = f"`{request}(…)`"
                else:
                    ref = project.function(call.callee, path, call.func)
                    if ref is None:
                        continue
                    graph = graph or ctx.graph
                    chain = _http_chain(graph, ref, ctx.catalogs)
                    if not chain:
                        continue
                    what = f"`{project.display_name(ref)}()`, which sends an HTTP request,"
                done.add(site.loop_start)
                gather = "`asyncio.gather(…)`" if facts.language == "python" else "`Promise.all(…)`"
                yield self.make(
                    path=path, span=site.span, context=context_name(facts, site.span), chain=chain,
                    message=f"{what} is awaited once per item of {site.loop}, so the requests run one after "
                            f"another and the loop takes the sum of their latencies. The iterations do not "
                            f"depend on each other: start them together and await them with {gather}.",
                )


def _request(value: Value, http: PatternSet) -> str:
    """The HTTP call a value starts with (`fetch` in `fetch(url).then(…)`), or ''."""
    texts = [value.text] + [Value(value.root, value.steps[:i]).text
                            for i, step in enumerate(value.steps) if step.call]
    if value.steps and value.steps[0].call:
        texts.append(value.root)
    for text in texts:
        if http.match(text):
            return text.rsplit(".", 1)[-1] if "()" in text else text
    return ""


def _http_chain(graph: CallGraph, ref: FunctionRef, catalogs: Catalogs) -> list[ChainStep]:
    """The path from `ref` down to its nearest HTTP request, unless it also queries a database."""
    reach = graph.reach(ref, "http-request")
    if not reach or graph.reach(ref, "db-query") or _awaits_db(graph, ref, catalogs):
        return []
    site, (dist, _edge) = min(reach.items(), key=lambda kv: (kv[1][0], kv[0].path, kv[0].call))
    if dist > MAX_DISTANCE:
        return []
    return graph.chain(ref, site, "sends the request")


def _awaits_db(graph: CallGraph, ref: FunctionRef, catalogs: Catalogs) -> bool:
    """The function (or a project function it calls directly) awaits something that looks
    like a database call."""
    hints = catalogs.derived("loops:db_hints", lambda c: PatternSet(c.get("loops").get("db_hints", []) or []))
    project = graph.project
    refs = [ref] + [edge.callee for edge in graph.out_edges(ref) if edge.how == "call"]
    for current in refs[:16]:
        facts = project.files[current.path]
        for call in facts.calls:
            if call.func == current.id and call.awaited and \
                    hints.match(project.resolve(call.callee, facts.path, call.func).text):
                return True
    return False
