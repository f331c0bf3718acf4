"""Use cases: authorize the viewer, apply domain rules, commit one unit of work, return data."""
