"""Pure renderers: a service result becomes (text, keyboard). All HTML escaping happens here."""
