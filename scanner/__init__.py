import os as _os
import sys as _sys

__version__ = "0.1.0"

# `python -m perfsense.scanner.cli` puts the working directory (perhaps the checkout being
# scanned) first on sys.path, so its `json.py` or `argparse.py` would be imported instead
# of the real module. While `-m` is still locating its module, sys.argv[0] is "-m": the
# working directory leaves sys.path then, before anything else is imported (`os` and `sys`
# are loaded at interpreter start, never from the path). `python -P` closes the gap left
# for `perfsense` itself. Only the entry `-m` put first goes: the same folder further down
# came from the configuration (scanning the standard library from inside it, say).
if _sys.argv[:1] == ["-m"] and not _sys.flags.safe_path and _sys.path[:1] in ([""], ["."], [_os.getcwd()]):
    del _sys.path[0]
