"""The deterministic demo school behind ``ejournal seed-demo``: ``seed_demo`` writes it."""

from core.storage.demo.seed import seed_demo

__all__ = ["seed_demo"]
