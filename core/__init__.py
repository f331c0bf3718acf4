"""The journal core: school data and rules. Knows nothing of Telegram or schedulers."""
