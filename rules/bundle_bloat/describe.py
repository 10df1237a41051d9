"""How an import reads in a message, and chains of imports as explanation steps."""
from __future__ import annotations

import posixpath

from perfsense.rules.bundle_bloat.graph import Hop
from perfsense.rules.bundle_bloat.index import BundleIndex
from perfsense.scanner.facts.model import Import
from perfsense.scanner.model import ChainStep, Location

MAX_NAMES = 3


def relative(path: str, target: str) -> str:
    """How `path` would import the project file `target` (`./pages/ReportsPage`)."""
    stem = target.rsplit(".", 1)[0] if "." in posixpath.basename(target) else target
    if posixpath.basename(stem) == "index":
        stem = posixpath.dirname(stem)
    rel = posixpath.relpath(stem or ".", posixpath.dirname(path) or ".")
    return rel if rel.startswith("..") else "./" + rel


def spec(index: BundleIndex, path: str, imp: Import) -> str:
    """The specifier as written, as near as facts allow (`../utils/dates`, `lodash`)."""
    target = index.graph.resolve(imp.module, path) if imp.module.startswith(("./", "..")) else None
    return relative(path, target) if target else imp.module


def form(index: BundleIndex, path: str, imp: Import) -> str:
    """`import _ from 'lodash'`, `import { a, b } from 'lodash'`, `require('moment')`, …"""
    quoted = f"'{spec(index, path, imp)}'"
    if imp.kind == "side-effect":
        return f"`import {quoted}`"
    if imp.kind == "reexport":
        return f"`export … from {quoted}`"
    if imp.kind == "require":
        return f"`require({quoted})`"
    if imp.name == "default":
        return f"`import {imp.local} from {quoted}`"
    if imp.name == "*":
        return f"`import * as {imp.local} from {quoted}`"
    span = index.statement(path, imp)
    names = [i.local for i in index.project.files[path].imports
             if i.module == imp.module and i.kind == "esm" and i.name not in ("default", "*")
             and span.start <= i.span.start and i.span.end <= span.end]
    shown = ", ".join(names[:MAX_NAMES]) + (", …" if len(names) > MAX_NAMES else "")
    return f"`import {{ {shown} }} from {quoted}`"


def chain_steps(index: BundleIndex, hops: tuple[Hop, ...], last: tuple[str, Import],
                what: str) -> list[ChainStep]:
    """One step per project import on the way, then the package import itself."""
    steps = []
    for hop in hops:
        target = index.graph.resolve(hop.imp.module, hop.path) or hop.imp.module
        steps.append(ChainStep(location=Location(hop.path, index.statement(hop.path, hop.imp)),
                               message=f"{form(index, hop.path, hop.imp)} loads `{target}`"))
    path, imp = last
    steps.append(ChainStep(location=Location(path, index.statement(path, imp)),
                           message=f"{form(index, path, imp)} brings in {what}"))
    return steps
