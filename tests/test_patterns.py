"""Catalog name patterns: `*` matches any text, the first matching pattern is reported."""
from __future__ import annotations

import random

from perfsense.scanner.patterns import PatternSet, compile_pattern


def _first(patterns: list[str], text: str) -> str | None:
    """The reference: exact names first, then each glob in order."""
    if text in patterns and "*" not in text:
        return text
    return next((p for p in patterns if "*" in p and compile_pattern(p).match(text)), None)


def test_exact_names_and_globs() -> None:
    patterns = PatternSet(["requests.get", "httpx.AsyncClient()*.get", "*.objects.*", "axios.*", "*"])
    assert patterns.match("requests.get") == "requests.get"
    assert patterns.match("httpx.AsyncClient().client.get") == "httpx.AsyncClient()*.get"
    assert patterns.match("app.models.Book.objects.filter") == "*.objects.*"
    assert patterns.match("axios.post") == "axios.*"
    assert patterns.match("anything") == "*"
    assert PatternSet(["a.*.c"]).match("a.b.c.d") is None
    assert PatternSet(["a.*"]).match("a.b\\nc") == "a.*"  # `*` spans any character
    assert PatternSet([]).match("x") is None and not PatternSet([])


def test_the_first_matching_glob_in_order_wins_on_random_sets() -> None:
    rng = random.Random(7)
    atoms = ["a", "b", ".", "()", "$", "+", "*"]
    for _ in range(400):
        patterns = ["".join(rng.choice(atoms) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 8))]
        compiled = PatternSet(patterns)
        for _ in range(20):
            text = "".join(rng.choice(atoms[:-1]) for _ in range(rng.randint(0, 7)))
            assert compiled.match(text) == _first(patterns, text), (patterns, text)
