"""blocking-call-in-async beyond its examples: test code, and the shared test-code check."""
import textwrap

import pytest

from perfsense.scanner.testcode import is_test_code, is_test_path
from tests.helpers import scan_tree, write_tree

FILES = {
    "app/__init__.py": "",
    "app/store.py": """
        import json
        from pathlib import Path


        def save(path, data):
            Path(path).write_text(json.dumps(data))
    """,
    "app/routes.py": """
        from app.store import save


        async def checkout(cart):
            save("cart.json", cart)
    """,
    "tests/test_store.py": """
        import time

        from app.store import save


        async def test_save_then_wait(tmp_path):
            save(tmp_path / "a.json", {})
            time.sleep(0.1)
    """,
    "app/checks.py": """
        import time


        async def test_clock_settles():
            time.sleep(0.1)
    """,
}


def _found(tmp_path):
    write_tree(tmp_path, {path: textwrap.dedent(text).lstrip("\n") for path, text in FILES.items()})
    result = scan_tree(tmp_path)
    return {(f.location.path, f.location.span.start.line + 1) for f in result.findings
            if f.rule_id == "blocking-call-in-async"}


def test_test_code_is_not_reported_unless_asked(tmp_path):
    assert _found(tmp_path) == {("app/routes.py", 5)}
    (tmp_path / "perfsense.toml").write_text("[rules.blocking-call-in-async]\ninclude-tests = true\n")
    assert _found(tmp_path) == {("app/routes.py", 5), ("tests/test_store.py", 7), ("tests/test_store.py", 8),
                                ("app/checks.py", 5)}


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/test_views.py", True), ("pkg/tests/helpers.py", True), ("src/__tests__/cart.js", True),
    ("e2e/checkout.ts", True), ("pkg/unit_tests/x.py", True), ("conftest.py", True),
    ("pkg/views_test.py", True), ("src/cart.test.tsx", True), ("src/Button.stories.jsx", True),
    ("Tests/Views.py", True), ("pkg/views.py", False), ("src/attestation.py", False),
    ("src/contest/entries.py", False), ("latest/app.js", False), ("pkg/testimonials.py", False),
])
def test_test_paths(path, expected):
    assert is_test_path(path) is expected


def test_a_test_function_is_test_code_anywhere():
    assert is_test_code("pkg/checks.py", "test_clock") and not is_test_code("pkg/checks.py", "testify")
