"""Namespace packages (folders without __init__.py) resolve across modules; per-file memos."""
from perfsense.scanner.project import FunctionRef
from tests.facts_helpers import project_of


def test_namespace_package_module_resolves():
    project = project_of({
        "etl/load.py": "def save(rows):\n    return rows\n",
        "run.py": "from etl import load\n\ndef main(rows):\n    return load.save(rows)\n",
    })
    facts = project.files["run.py"]
    call = next(c for c in facts.calls if c.name == "save")
    ref = project.function(call.callee, "run.py", call.func)
    assert ref == FunctionRef("etl/load.py", 1)


def test_real_module_wins_over_alias_and_removal_cleans_up():
    project = project_of({"pkg/mod.py": "def f():\n    pass\n", "pkg/__init__.py": "",
                          "tools/pkg/mod.py": "def g():\n    pass\n"})
    assert project.module_file("pkg.mod") == "pkg/mod.py"  # the real package, not tools/pkg
    assert project.module_file("tools.pkg.mod") == "tools/pkg/mod.py"
    project.remove_file("tools/pkg/mod.py")
    assert project.module_file("tools.pkg.mod") is None


def test_per_file_memo_is_rebuilt_only_for_the_changed_file():
    project = project_of({"a.py": "def f():\n    pass\n", "b.py": "def g():\n    pass\n"})
    built: list[str] = []

    def names(facts):
        built.append(facts.path)
        return tuple(fn.name for fn in facts.functions[1:])

    assert [project.per_file("k", f, names) for f in project.files.values()] == [("f",), ("g",)]
    assert [project.per_file("k", f, names) for f in project.files.values()] == [("f",), ("g",)]
    assert built == ["a.py", "b.py"]
    project.replace_file(project_of({"a.py": "def h():\n    pass\n"}).files["a.py"])
    assert [project.per_file("k", f, names) for f in project.files.values()] == [("g",), ("h",)]
    assert built == ["a.py", "b.py", "a.py"]
    project.remove_file("b.py")
    project.replace_file(project_of({"b.py": "def k():\n    pass\n"}).files["b.py"])
    assert project.per_file("k", project.files["b.py"], names) == ("k",)
    other_version = project_of({"b.py": "def m():\n    pass\n"}).files["b.py"]
    assert project.per_file("k", other_version, names) == ("m",)  # keyed by the facts given
