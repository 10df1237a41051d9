"""Namespace packages (folders without __init__.py) resolve across modules."""
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
