"""`python -m perfsense.lsp [--stdio | --tcp --port N]`.

Editors start language servers with the workspace as working directory, and `python -m`
puts that directory first on sys.path: a `json.py`, `typing.py`, `yaml.py` or `pygls.py`
in the user's repository would be imported instead of the real module. So the working
directory leaves sys.path before anything else is imported (`sys` and `os` are loaded at
interpreter start, never from the path). Only `perfsense` itself is looked up before
this runs; `python -P` / PYTHONSAFEPATH=1 closes that gap too.
"""
import os
import sys

_cwd = os.getcwd()
sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", _cwd)]

if __name__ == "__main__":
    from perfsense.lsp.server import main

    sys.exit(main())
