"""Per-file fact extraction for Python and JavaScript/TypeScript."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.source import PYTHON, SourceFile


def extract(source: SourceFile, root: ts.Node, module: str, is_package: bool) -> FileFacts:
    if source.language == PYTHON:
        from perfsense.scanner.facts import python

        builder = python.extract(source, root, module, is_package)
    else:
        from perfsense.scanner.facts import javascript

        builder = javascript.extract(source, root, module, is_package)
    return builder.freeze()
