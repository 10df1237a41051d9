"""Map the top-level folders scanner/, lsp/ and rules/ into the one `perfsense` namespace.

The package list is computed, so a new subpackage can never be left out of the wheel
(tests/test_packaging.py builds a wheel and checks its contents).
"""
from setuptools import find_packages, setup

TOP_LEVEL = ("scanner", "lsp", "rules")

packages: list[str] = []
package_dir: dict[str, str] = {}
for top in TOP_LEVEL:
    package_dir[f"perfsense.{top}"] = top
    packages.append(f"perfsense.{top}")
    packages.extend(f"perfsense.{top}.{sub}" for sub in find_packages(top))

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={"perfsense.rules": ["catalogs/*.yaml"], "": ["py.typed"]},
    include_package_data=False,
)
