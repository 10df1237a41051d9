"""The language server analyses a document's next version knowing its previous one: rules
may redo only the function an edit changed. The result must be what analysing the new
text from scratch gives."""
from __future__ import annotations

import pytest

from perfsense.rules.n_plus_one import collect as n_plus_one_collect
from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.source import SourceFile
from perfsense.scanner.untouched import Previous

TEXT = '''from shop.models import Order


def report(orders):
    for order in orders:
        print(order.customer.name)
    return len(orders)


class Views:
    def list(self, request):
        rows = []
        for order in Order.objects.filter(paid=True):
            rows.append(order.customer.email)
        return rows

    def detail(self, request, pk):
        order = Order.objects.get(pk=pk)
        return f"{order.customer}"


def summary(items):
    total = 0
    for item in items:
        total += item.price.amount
    return total
'''

EDITS = [  # each inside one function
    ("        rows = []\n", "        rows = []\n        seen = self.cache.lookup(request.user.id)\n"),
    ("            rows.append(order.customer.email)\n",
     ("            rows.append(order.customer.email)\n            for line in order.lines.all():\n"
      "                rows.append(line.product.name)\n")),
    ("        print(order.customer.name)\n", "        pass\n"),
    ("        order = Order.objects.get(pk=pk)\n", "        order = Order.objects.select_related('customer').get(pk=pk)\n"),
    ("    return total\n", "    # done\n    return total\n"),
]


def _analyse(text: str, previous: Previous | None = None):
    return analyse_source(SourceFile("shop/views.py", text, "python"), "shop.views", False, Settings(), "", None,
                          previous)


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_an_edited_function_collected_alone_equals_the_whole_file(monkeypatch, old: str, new: str) -> None:
    spliced = []
    run_edited = n_plus_one_collect._Collector.run_edited

    def spy(self, edit):
        result = run_edited(self, edit)
        spliced.append(result is not None)
        return result

    monkeypatch.setattr(n_plus_one_collect._Collector, "run_edited", spy)
    before = _analyse(TEXT)
    text = TEXT.replace(old, new)
    assert text != TEXT
    for previous_text, previous, current in ((TEXT, before, text), (text, None, TEXT)):
        if previous is None:
            previous = _analyse(previous_text)
        incremental = _analyse(current, Previous(SourceFile("shop/views.py", previous_text, "python"), previous.facts))
        fresh = _analyse(current)
        assert incremental.facts == fresh.facts
        assert incremental.findings == fresh.findings
    assert spliced == [True, True]


def test_an_edit_outside_every_function_collects_the_whole_file(monkeypatch) -> None:
    called = []
    monkeypatch.setattr(n_plus_one_collect._Collector, "run_edited", lambda self, edit: called.append(edit))
    before = _analyse(TEXT)
    text = TEXT.replace("from shop.models import Order\n", "from shop.models import Order\nLIMIT = 3\n")
    result = _analyse(text, Previous(SourceFile("shop/views.py", TEXT, "python"), before.facts))
    assert called == []  # no single function holds the change: no edit is handed to the rules
    assert result.facts == _analyse(text).facts
