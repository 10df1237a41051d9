"""`processes.Forked` (a computation in a forked copy of the process) and the call graph
built half in such a copy: the same graph as a build in one process, in every detail.

Each case runs in a fresh interpreter: `Forked` only forks a process with a single thread,
and the test process may have others (language-server tests)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _run(script: str) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_forked_computation_delivers_its_value_or_none_and_leaves_no_process() -> None:
    out = _run("""
        import json, os, threading, time
        from perfsense.scanner.processes import Forked

        def reaped(job):
            try:
                os.waitpid(job, os.WNOHANG)
            except ChildProcessError:
                return True
            return False

        out = {}
        big = Forked(lambda: list(range(300_000)))  # more than a pipe's buffer
        out["value"] = [big.started, big.result(timeout=30) == list(range(300_000))]
        failing = Forked(lambda: 1 / 0)
        pid = failing.pid
        out["failing"] = [failing.result(timeout=30), reaped(pid)]
        unpicklable = Forked(lambda: (lambda: 1))
        out["unpicklable"] = unpicklable.result(timeout=30)
        hanging = Forked(lambda: time.sleep(60))
        pid, start = hanging.pid, time.monotonic()
        out["hanging"] = [hanging.result(timeout=0.5), time.monotonic() - start < 10, reaped(pid)]
        left = Forked(lambda: time.sleep(60))  # the caller fails before asking for the result
        pid = left.pid
        left.abandon()
        left.abandon()  # (twice: nothing left to do)
        out["abandoned"] = [left.result(timeout=1), reaped(pid)]
        stop = threading.Event()
        helper = threading.Thread(target=stop.wait)
        helper.start()
        threaded = Forked(lambda: 1)
        out["threaded"] = [threaded.started, threaded.result(timeout=30)]
        stop.set()
        helper.join()
        print(json.dumps(out))
    """)
    assert out == {"value": [True, True], "failing": [None, True], "unpicklable": None,
                   "hanging": [None, True, True], "abandoned": [None, True], "threaded": [False, None]}


def test_a_call_graph_built_half_in_a_forked_copy_equals_one_built_in_one_process() -> None:
    out = _run("""
        import json
        from perfsense.scanner import callgraph
        from perfsense.scanner.callgraph import CallGraph
        from perfsense.scanner.project import Project
        from tests.facts_helpers import CATALOGS, facts_of
        from tests.test_callgraph import PY_PROJECT
        from tests.test_callgraph_incremental import BASE

        forks = []

        def children():  # this process's children, zombies included
            import os
            out = []
            for entry in os.listdir("/proc"):
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                if entry.isdigit() and int(fields[1]) == os.getpid():
                    out.append(entry)
            return out

        class Recorded(callgraph.Forked):
            def __init__(self, compute):
                super().__init__(compute)
                forks.append(self.started)

        callgraph.Forked = Recorded
        callgraph.PARALLEL_CALLS = 1
        facts = facts_of({**PY_PROJECT, **{"b/" + path: text for path, text in BASE.items()}})

        def snapshot(graph):
            out = []
            for node in graph.graph.nodes:
                out.append([list(node), [repr(e) for e in graph.out_edges(node)],
                            [repr(s) for s in graph.direct.get(node, ())],
                            [[kind.name, [[repr(s), d, repr(e)] for s, (d, e) in graph.reach(node, kind.name).items()]]
                             for kind in graph.kinds]])
            return out

        serial = CallGraph(Project(facts), CATALOGS, jobs=1)
        assert forks == []
        parallel = CallGraph(Project(facts), CATALOGS, jobs=2)
        reached = sum(bool(graph.reach(node, kind.name)) for graph in (serial,) for node in graph.graph.nodes
                      for kind in graph.kinds)
        class Stop(Exception):
            pass

        def interrupted(self, facts, parts=None):
            raise Stop  # as the project-stage budget's alarm would, in the middle of the build

        callgraph.CallGraph._add_file = interrupted
        try:
            CallGraph(Project(facts), CATALOGS, jobs=2)
        except Stop:
            pass
        print(json.dumps({"children": children(), "forks": forks, "same": snapshot(serial) == snapshot(parallel),
                          "size": serial.size == parallel.size, "edges": serial.size[1], "reached": reached}))
    """)
    assert out["forks"] == [True, True] and out["same"] and out["size"] and out["children"] == []
    assert out["edges"] >= 10 and out["reached"] >= 5  # a graph with something in it
