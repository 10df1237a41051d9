"""Effects `timer-started`, `listener-added` and `connection-opened`: a call that acquires a
resource nobody can release afterwards (its handle is dropped, or it is a listener on a
long-lived target that nothing removes). They travel up to callers, so a `useEffect` that
calls a helper which starts an interval is found, with the chain."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.memory_leak.catalog import might_acquire
from perfsense.rules.memory_leak.leakfacts import leak_facts
from perfsense.rules.memory_leak.records import MODULE, Acquisition
from perfsense.scanner.effects import EffectKind
from perfsense.scanner.facts.model import FileFacts

_index: dict[str, tuple[object, dict[int, Acquisition]]] = {}  # path -> (LeakFacts, by call id)
SHARED_SCOPES = frozenset({"module", "global"})


def acquisition_at(facts: FileFacts, call_id: int) -> Acquisition | None:
    return _acquisitions(facts).get(call_id)


def _acquisitions(facts: FileFacts) -> dict[int, Acquisition]:
    data = leak_facts(facts)
    cached = _index.get(facts.path)
    if cached is None or cached[0] is not data:
        cached = (data, {acq.call: acq for acq in data.acquisitions})
        _index[facts.path] = cached
    return cached[1]


def unreleasable(acq: Acquisition) -> bool:
    if not acq.leaks or acq.handle == MODULE:
        return False
    return acq.kind != "listener" or acq.scope in SHARED_SCOPES


class _Leaked(EffectKind):
    kinds: frozenset[str] = frozenset()

    def detect(self, project, facts, call, catalogs) -> Iterable[str]:
        if facts.language == "python" or not might_acquire(call, "javascript", catalogs):
            return ()
        acq = acquisition_at(facts, call.id)
        if acq is None or acq.kind not in self.kinds or not unreleasable(acq):
            return ()
        return (acq.label,)

    def detect_file(self, project, facts, catalogs) -> dict[int, tuple[str, ...]]:
        if facts.language == "python":
            return {}
        return self.detect_among(project, facts, catalogs, sorted(_acquisitions(facts)))  # (the only candidates)

    def call_inputs(self, facts) -> dict[int, object]:
        if facts.language == "python":
            return {}
        return {acq.call: (acq.kind, acq.label, unreleasable(acq))  # released or not: the whole file says
                for acq in leak_facts(facts).acquisitions}


class TimerStarted(_Leaked):
    name = "timer-started"
    kinds = frozenset({"timer"})


class ListenerAdded(_Leaked):
    name = "listener-added"
    kinds = frozenset({"listener"})


class ConnectionOpened(_Leaked):
    name = "connection-opened"
    kinds = frozenset({"connection", "observer", "subscription"})


EFFECT_NAMES = ("timer-started", "listener-added", "connection-opened")
