"""Test code: files and functions that run once per test run.

A slow or leaky pattern there costs nothing in production, so the rules that report only
production code by default (their `include-tests` option) ask here, all the same way.
"""
from __future__ import annotations

import re

_TEST_DIR = re.compile(r"^(tests?|__tests__|testing|specs?|e2e|test_?utils|.*[-_]tests?|tests?[-_].*)$")
_TEST_FILE = re.compile(r"^(test_.*\.py|.*_tests?\.py|tests\.py|conftest.*\.py|.*\.(test|spec|stories)\.\w+)$")


def is_test_path(path: str) -> bool:
    """A file in a test folder (`tests/`, `__tests__/`, `e2e/`, …) or named as a test
    (`test_*.py`, `*_test.py`, `conftest.py`, `*.test.ts`, `*.spec.js`, `*.stories.tsx`)."""
    parts = path.lower().split("/")
    return any(_TEST_DIR.match(part) for part in parts[:-1]) or _TEST_FILE.match(parts[-1]) is not None


def is_test_function(name: str) -> bool:
    """A test by its name (`test_*`), in any file."""
    return name.startswith("test_")


def is_test_code(path: str, function_name: str = "") -> bool:
    """Test code: a test file, or a `test_*` function anywhere."""
    return is_test_function(function_name) or is_test_path(path)
