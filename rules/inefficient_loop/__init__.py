"""The inefficient-loop family: work in loops that grows faster than the data.

`scope` answers where code repeats (the loops around a node, what a loop rebinds or
mutates, how a name is bound); `python_checks` and `js_checks` find the patterns in one
file's tree; `analysis` runs them once per file; the rule modules turn hits into findings,
and the project rules add the cases that cross a function boundary.
"""
