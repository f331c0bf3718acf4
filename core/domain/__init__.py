"""Pure domain rules over frozen dataclasses. No I/O, no clock reads, standard library only."""
