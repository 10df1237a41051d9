"""The functions an edit left alone (the language server's hint to the call graph)."""
from __future__ import annotations

from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.source import SourceFile
from perfsense.scanner.untouched import untouched_functions

TEXT = '''import requests

LIMIT = 3


def first(url):
    return requests.get(url)


class Shop:
    def load(self, ids):
        return list(map(lambda i: first(i), ids))

    def save(self):
        return None


def last():
    return LIMIT
'''
# functions: 0 <module>, 1 first, 2 Shop.load, 3 <lambda> in load, 4 Shop.save, 5 last


def _untouched(new_text: str, old_text: str = TEXT) -> set[int]:
    def facts(text: str):
        return analyse_source(SourceFile("m.py", text, "python"), "m", False, Settings()).facts

    old, new = SourceFile("m.py", old_text, "python"), SourceFile("m.py", new_text, "python")
    return set(untouched_functions(old, facts(old_text), new, facts(new_text)))


def test_an_edit_inside_a_method_leaves_every_other_function():
    edited = TEXT.replace("return list(map(", "ids = sorted(ids)\n        return list(map(")
    assert _untouched(edited) == {1, 4, 5}  # not `load`, nor the lambda inside it


def test_an_edit_inside_a_function_at_the_end_of_the_file():
    assert _untouched(TEXT.replace("return LIMIT", "return LIMIT + 1")) == {1, 2, 3, 4}


def test_an_edit_outside_every_function_or_across_two_gives_nothing():
    assert _untouched(TEXT.replace("LIMIT = 3", "LIMIT = 4")) == set()
    assert _untouched(TEXT.replace("        return None\n\n\ndef last():\n    return", "        return 1\n\n\n"
                                                                                  "def last():\n    return 2 +")) == set()
    assert _untouched(TEXT) == set()  # no edit


def test_a_new_function_gives_nothing():
    assert _untouched(TEXT.replace("return requests.get(url)", "def inner():\n        pass\n    return 1")) == set()


def test_code_appended_after_a_function_is_not_inside_it():
    assert _untouched(TEXT.replace("    return LIMIT\n", "    return LIMIT\nprint(last())\n")) == set()
    assert _untouched(TEXT.replace("    return LIMIT\n", "    return LIMIT\nx = 1\n")) == set()
