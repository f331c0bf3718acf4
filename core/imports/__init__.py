"""Parsers for files brought in by staff (people lists, timetables). Pure: no storage access."""
