"""An id of the installed perfsense code: the version plus the size and mtime of every module
and catalog. Cache keys include it, so an edited (editable) install never reuses stale results."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from perfsense.scanner import __version__


@lru_cache(maxsize=1)
def build_id() -> str:
    import perfsense.lsp
    import perfsense.rules
    import perfsense.scanner

    digest = hashlib.sha256(__version__.encode())
    for package in (perfsense.scanner, perfsense.rules, perfsense.lsp):
        for base in package.__path__:
            for folder, dirs, files in os.walk(base):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith((".py", ".yaml")):
                        info = os.stat(os.path.join(folder, name))
                        digest.update(f"{os.path.relpath(folder, base)}/{name}:{info.st_size}:"
                                      f"{info.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]
