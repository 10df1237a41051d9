"""Configuration: lookup, every key, and an error naming file and key for every bad value."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.config import Config, ConfigError, is_selected, load_config, path_ignored

RULES = ("query-in-loop", "blocking-call-in-async", "whole-library-import")
CATEGORIES = ("n-plus-one", "blocking-io", "inefficient-loop", "bundle-bloat", "memory-leak")
OPTIONS = {"query-in-loop": ("max_depth", "ignore-methods"), "blocking-call-in-async": ("extra_calls",)}

FULL = """
select = ["n-plus-one", "blocking-call-in-async"]
ignore = ["whole-library-import"]
exclude = ["generated/"]
extend-exclude = ["*_pb2.py"]
max-file-size = "2MB"
timeout = 5
minified-line-length = 2000

[per-file-ignores]
"tests/**" = ["n-plus-one"]
"scripts/*.py" = ["blocking-io", "query-in-loop"]

[rules.query-in-loop]
max-depth = 3
ignore_methods = ["count"]

[[catalog.blocking.python]]
call = "legacy_client.fetch"
replacement = "`legacy_client.fetch_async`"

[[catalog.blocking.javascript]]
call = "legacy.readAllSync"

[[catalog.queries]]
call = "db.fetch_one"
batch = "db.fetch_many"
"""


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def load(root: Path, explicit: str | None = None, **known) -> Config:
    return load_config(str(root), explicit, **known)


def strict(root: Path, explicit: str | None = None) -> Config:
    return load(root, explicit, rule_ids=RULES, categories=CATEGORIES, rule_option_names=OPTIONS)


def error(root: Path, text: str, name: str = "perfsense.toml") -> str:
    write(root / name, text)
    with pytest.raises(ConfigError) as info:
        strict(root)
    return str(info.value)


# -- lookup -------------------------------------------------------------------------------


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config == Config()
    assert (config.max_file_size, config.timeout, config.minified_line_length, config.source) == (
        1 << 20,
        20.0,
        1000,
        None,
    )


def test_full_perfsense_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "perfsense.toml", FULL)
    config = strict(tmp_path)
    assert config == Config(
        select=("n-plus-one", "blocking-call-in-async"),
        ignore=("whole-library-import",),
        exclude=("generated/", "*_pb2.py"),
        per_path_ignores=(("tests/**", ("n-plus-one",)), ("scripts/*.py", ("blocking-io", "query-in-loop"))),
        rule_options={"query-in-loop": {"max_depth": 3, "ignore-methods": ["count"]}},
        catalog={
            "blocking": {
                "python": [
                    {
                        "group": "config",
                        "what": "`legacy_client.fetch`",
                        "replacement": "`legacy_client.fetch_async`",
                        "calls": ["legacy_client.fetch"],
                    }
                ],
                "javascript": [
                    {
                        "group": "config",
                        "what": "`legacy.readAllSync`",
                        "replacement": "a non-blocking alternative",
                        "calls": ["legacy.readAllSync"],
                    }
                ],
            },
            "queries": [{"call": "db.fetch_one", "batch": "db.fetch_many"}],
        },
        max_file_size=2_000_000,
        timeout=5.0,
        minified_line_length=2000,
        source=path,
    )


def test_catalog_extension_merges_into_catalogs(tmp_path: Path) -> None:
    write(tmp_path / "perfsense.toml", FULL)
    catalogs = Catalogs(strict(tmp_path).catalog)
    python = catalogs.get("blocking")["python"]
    assert python[-1]["calls"] == ["legacy_client.fetch"]
    assert python[0]["group"] == "http"  # the built-in groups are kept
    assert catalogs.get("queries") == [{"call": "db.fetch_one", "batch": "db.fetch_many"}]


def test_pyproject_tool_section(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.perfsense]\nignore = ["n-plus-one"]\n'
    )
    assert strict(tmp_path) == Config(ignore=("n-plus-one",), source=path)


def test_pyproject_without_section_gives_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    assert strict(tmp_path) == Config()


def test_perfsense_toml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.perfsense]\nignore = ["n-plus-one"]\n')
    path = write(tmp_path / "perfsense.toml", 'ignore = ["memory-leak"]\n')
    assert strict(tmp_path) == Config(ignore=("memory-leak",), source=path)


def test_explicit_config_overrides_lookup(tmp_path: Path) -> None:
    write(tmp_path / "perfsense.toml", 'ignore = ["memory-leak"]\n')
    custom = write(tmp_path / "ci.toml", 'select = ["query-in-loop"]\n')
    assert strict(tmp_path, custom) == Config(select=("query-in-loop",), source=custom)
    other = tmp_path / "other"
    other.mkdir()
    pyproject = write(other / "pyproject.toml", "[tool.perfsense]\ntimeout = 1.5\n")
    assert strict(tmp_path, pyproject) == Config(timeout=1.5, source=pyproject)
    bare = write(other / "empty.toml", "")
    assert strict(tmp_path, bare) == Config(source=bare)


def test_explicit_missing_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=f"^{re.escape(missing)}: cannot read: No such file or directory$"):
        load(tmp_path, missing)


def test_fifo_config_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "perfsense.toml")
    with pytest.raises(ConfigError, match=r"perfsense\.toml: not a regular file$"):
        load(tmp_path)


def test_snake_case_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path / "perfsense.toml",
        "max_file_size = 4096\nminified_line_length = 10\n"
        'extend_exclude = ["a/"]\n[per_file_ignores]\n"x.py" = ["memory-leak"]\n',
    )
    assert strict(tmp_path) == Config(
        max_file_size=4096,
        minified_line_length=10,
        exclude=("a/",),
        per_path_ignores=(("x.py", ("memory-leak",)),),
        source=path,
    )


def test_unknown_ids_are_fine_without_a_registry(tmp_path: Path) -> None:
    path = write(tmp_path / "perfsense.toml", 'select = ["anything"]\n[rules.some-rule]\nx = 1\n')
    assert load(tmp_path) == Config(select=("anything",), rule_options={"some-rule": {"x": 1}}, source=path)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("4096", 4096),
        ('"2MB"', 2_000_000),
        ('"512KiB"', 524_288),
        ('"1.5 MiB"', 1_572_864),
        ('"10kb"', 10_000),
        ('"3 b"', 3),
        ('"1GiB"', 1 << 30),
        ('"700"', 700),
    ],
)
def test_max_file_size_values(tmp_path: Path, value: str, size: int) -> None:
    write(tmp_path / "perfsense.toml", f"max-file-size = {value}\n")
    assert load(tmp_path).max_file_size == size


# -- errors name the file and the key --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selct = ["n-plus-one"]\n', "`selct`: unknown key (did you mean `select`?)"),
        ('plugins = ["evil.module"]\n', "`plugins`: unknown key"),
        (
            'select = "n-plus-one"\n',
            "`select`: expected an array of non-empty strings, got string 'n-plus-one'",
        ),
        ("ignore = [1]\n", "`ignore`: expected an array of non-empty strings, got array [1]"),
        (
            'select = ["query-in-lop"]\n',
            "`select`: `query-in-lop` is neither a rule id nor a category (did you mean `query-in-loop`?)",
        ),
        ('ignore = ["perf"]\n', "`ignore`: `perf` is neither a rule id nor a category"),
        ('exclude = ["foo\\\\"]\n', "`exclude`: invalid gitignore-style pattern 'foo\\\\'"),
        (
            'extend-exclude = "a"\n',
            "`extend-exclude`: expected an array of non-empty strings, got string 'a'",
        ),
        (
            'max-file-size = "2 parsecs"\n',
            '`max-file-size`: expected an integer (bytes) or a size such as "2MB"',
        ),
        ("max-file-size = -1\n", "`max-file-size`: expected a positive number of bytes, got integer -1"),
        ("max-file-size = true\n", "`max-file-size`: expected an integer (bytes) or a size"),
        ('max-file-size = "0MB"\n', "`max-file-size`: expected a positive size, got string '0MB'"),
        ("timeout = 0\n", "`timeout`: expected a positive number, got integer 0"),
        ('timeout = "fast"\n', "`timeout`: expected a positive number, got string 'fast'"),
        ("timeout = inf\n", "`timeout`: expected a positive number, got number inf"),
        ("timeout = true\n", "`timeout`: expected a positive number, got boolean True"),
        (
            "minified-line-length = 2.5\n",
            "`minified-line-length`: expected a positive integer, got number 2.5",
        ),
        ("minified-line-length = 0\n", "`minified-line-length`: expected a positive integer, got integer 0"),
        ("max-file-size = 1\nmax_file_size = 2\n", "`max_file_size`: given twice"),
        (
            'per-file-ignores = ["x"]\n',
            "`per-file-ignores`: expected a table of pattern = [rule ids or categories]",
        ),
        (
            '[per-file-ignores]\n"tests/" = ["n-plus-on"]\n',
            (
                '`per-file-ignores."tests/"`: `n-plus-on` is neither a rule id nor a category '
                "(did you mean `n-plus-one`?)"
            ),
        ),
        ('[per-file-ignores]\n"tests/" = "n-plus-one"\n', '`per-file-ignores."tests/"`: expected an array'),
        (
            '[per-file-ignores]\n"a\\\\" = ["n-plus-one"]\n',
            '`per-file-ignores."a\\"`: invalid gitignore-style pattern',
        ),
        (
            "[rules.query-in-lop]\nmax-depth = 1\n",
            "`rules.query-in-lop`: unknown rule id (did you mean `query-in-loop`?)",
        ),
        (
            "[rules.query-in-loop]\nmax-dept = 1\n",
            "`rules.query-in-loop.max-dept`: unknown option (did you mean `max-depth`?)",
        ),
        ("[rules.whole-library-import]\nsize = 1\n", "`rules.whole-library-import.size`: unknown option"),
        (
            "rules = {query-in-loop = 3}\n",
            "`rules.query-in-loop`: expected a table of options, got integer 3",
        ),
        ("rules = 1\n", "`rules`: expected a table of [rules.<rule-id>] tables"),
        ("catalog = []\n", "`catalog`: expected a table of catalog extensions"),
        ("[catalog.blockng]\n", "`catalog.blockng`: unknown catalog (did you mean `blocking`?)"),
        (
            '[catalog.blocking]\npython = {call = "x"}\n',
            "`catalog.blocking.python`: expected an array of tables",
        ),
        ("[catalog.blocking]\nruby = []\n", "`catalog.blocking.ruby`: unknown language"),
        (
            "catalog = {blocking = []}\n",
            "`catalog.blocking`: expected a table with python / javascript arrays",
        ),
        (
            '[[catalog.blocking.python]]\ncall = "x"\nreplace = "y"\n',
            "`catalog.blocking.python[0].replace`: unknown field (did you mean `replacement`?)",
        ),
        (
            '[[catalog.blocking.python]]\nreplacement = "y"\n',
            "`catalog.blocking.python[0]`: missing required field `call`",
        ),
        (
            "[[catalog.blocking.javascript]]\ncall = 3\n",
            "`catalog.blocking.javascript[0].call`: expected a non-empty string, got integer 3",
        ),
        ('catalog = {queries = ["db.get"]}\n', "`catalog.queries[0]`: expected a table, got string 'db.get'"),
        (
            '[[catalog.queries]]\ncall = "db.get"\nbatch = ""\n',
            "`catalog.queries[0].batch`: expected a non-empty string, got string ''",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    got = error(tmp_path, text)
    assert got.startswith(f"{tmp_path / 'perfsense.toml'}: ")
    assert message in got


def test_pyproject_errors_use_the_full_key(tmp_path: Path) -> None:
    got = error(tmp_path, "[tool.perfsense]\ntimeot = 3\n", "pyproject.toml")
    assert (
        got
        == f"{tmp_path / 'pyproject.toml'}: `tool.perfsense.timeot`: unknown key (did you mean `timeout`?)"
    )
    got = error(tmp_path, "[tool]\nperfsense = 3\n", "pyproject.toml")
    assert got == f"{tmp_path / 'pyproject.toml'}: `tool.perfsense` must be a table"


def test_invalid_toml(tmp_path: Path) -> None:
    got = error(tmp_path, 'select = ["a"\n')
    assert got == f"{tmp_path / 'perfsense.toml'}: invalid TOML: Unclosed array (at end of document)"
    got = error(tmp_path, "timeout = = 3\n")
    assert got == f"{tmp_path / 'perfsense.toml'}: invalid TOML: Invalid value (at line 1, column 11)"


def test_non_utf8_toml(tmp_path: Path) -> None:
    (tmp_path / "perfsense.toml").write_bytes(b'select = ["\xff"]\n')
    with pytest.raises(ConfigError, match=r"perfsense\.toml: invalid TOML: not valid UTF-8 at byte 11$"):
        load(tmp_path)


# -- selection helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        ((), (), True),
        (("query-in-loop",), (), True),
        (("n-plus-one",), (), True),
        (("blocking-io",), (), False),
        ((), ("query-in-loop",), False),
        ((), ("n-plus-one",), False),
        (("query-in-loop",), ("n-plus-one",), False),
        (("n-plus-one",), ("blocking-io",), True),
    ],
)
def test_is_selected(select: tuple[str, ...], ignore: tuple[str, ...], expected: bool) -> None:
    assert is_selected("query-in-loop", "n-plus-one", select, ignore) is expected


def test_path_ignored() -> None:
    config = Config(
        per_path_ignores=(
            ("tests/", ("n-plus-one",)),
            ("scripts/*.py", ("blocking-call-in-async",)),
            ("conftest.py", ("blocking-io",)),
        )
    )
    assert path_ignored("tests/unit/test_orders.py", "query-in-loop", "n-plus-one", config)
    assert not path_ignored("app/tests.py", "query-in-loop", "n-plus-one", config)
    assert not path_ignored("tests/unit/test_orders.py", "blocking-call-in-async", "blocking-io", config)
    assert path_ignored("scripts/load.py", "blocking-call-in-async", "blocking-io", config)
    assert not path_ignored("scripts/sub/load.py", "blocking-call-in-async", "blocking-io", config)
    assert path_ignored("pkg/conftest.py", "blocking-call-in-async", "blocking-io", config)
    assert not path_ignored("app/models.py", "query-in-loop", "n-plus-one", Config())


def test_bundle_catalog_extension(tmp_path: Path) -> None:
    (tmp_path / "perfsense.toml").write_text(
        '[[catalog.bundles.packages]]\nmodule = "@acme/everything"\nkind = "whole"\nsize_kb = "90"\n'
        'what = "the whole Acme SDK"\ninstead = "per-module imports"\n', encoding="utf-8")
    from perfsense.scanner.config import load_config

    catalogs = Catalogs(load_config(str(tmp_path)).catalog)
    packages = catalogs.get("bundles")["packages"]
    assert packages[-1] == {"modules": ["@acme/everything"], "kind": "whole", "size_kb": "90",
                            "what": "the whole Acme SDK", "instead": "per-module imports"}
    assert len(packages) > 1  # appended to the built-in packages
