"""The n-plus-one family: a database round trip per item of a loop."""
