"""Span is stored flat but behaves as the pair (start, end) everywhere."""
from __future__ import annotations

import itertools
import pickle

from perfsense.scanner.model import Position, Span, flat_span


def _spans() -> list[Span]:
    points = [Position(line, column) for line in (0, 1, 300) for column in (0, 2, 70000)]
    return [Span(a, b) for a, b in itertools.product(points, points) if a <= b]


def test_a_span_reads_as_start_and_end() -> None:
    span = Span(Position(3, 4), Position(5, 6))
    assert span.start == Position(3, 4) and span.end == Position(5, 6)
    assert span.start.line == 3 and span.end.column == 6 and span.line == 3
    assert isinstance(span.start, Position)
    assert flat_span(3, 4, 5, 6) == span and type(flat_span(3, 4, 5, 6)) is Span
    assert repr(span) == "Span(Position(line=3, column=4), Position(line=5, column=6))"


def test_spans_order_compare_and_hash_like_the_pair_of_positions() -> None:
    spans = _spans()
    assert sorted(spans) == sorted(spans, key=lambda s: (s.start, s.end))
    for a, b in itertools.product(spans, spans):
        assert (a == b) == ((a.start, a.end) == (b.start, b.end))
        assert (a < b) == ((a.start, a.end) < (b.start, b.end))
        assert a.contains(b) == (a.start <= b.start and b.end <= a.end)
    assert len(set(spans)) == len(spans)


def test_a_span_survives_pickle_as_a_span() -> None:
    spans = _spans()
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(spans, protocol=protocol))
        assert back == spans
        assert all(type(s) is Span for s in back)
        assert back[0].end == spans[0].end


def test_value_text_is_the_dotted_form_without_arguments() -> None:
    from perfsense.scanner.facts.model import Step, Value

    value = Value("self", (Step("items", index=False), Step("*", index=True), Step("filter", call=True, args=("a=1",)),
                           Step(call=True), Step(index=True), Step("first", call=True)))
    assert value.text == "self.items[*].filter()()[].first()"
    assert value.full_text == "self.items[*].filter(a=1)()[].first()"
    assert Value("requests").text == "requests"


def test_facts_survive_pickle_with_their_types_and_unpickle_without_python_code() -> None:
    import pickletools

    from perfsense.scanner.facts.model import Arg, Call, Function, Step, Value

    span = flat_span(1, 2, 3, 4)
    value = Value("requests", (Step("get", call=True, args=("url",)),))
    call = Call(7, 0, span, value, awaited=True, args=(Arg("timeout", "5", Value("<num>")), Arg(None, "url")))
    function = Function(0, "<module>", "", "module", False, span, span, None, decorators=(value,))
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps((call, function), protocol=protocol)
        back = pickle.loads(data)
        assert back == (call, function)
        assert type(back[0]) is Call and type(back[0].args[0]) is Arg and type(back[0].callee) is Value
        assert type(back[0].callee.steps[0]) is Step and type(back[1].decorators[0]) is Value
        assert back[0].args[0].value.root == "<num>" and back[1].span == span
        # built by tuple.__new__ (C), not by NEWOBJ calling each class's Python __new__
        assert not any(op.name in ("NEWOBJ", "NEWOBJ_EX") for op, _arg, _pos in pickletools.genops(data))
