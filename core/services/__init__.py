"""Use cases: authorize the viewer, run domain rules, commit one unit of work, return plain data."""
