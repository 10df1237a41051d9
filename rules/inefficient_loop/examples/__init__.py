"""Examples (docs and tests) of the inefficient-loop rules."""
