"""Telegram front end (aiogram 3): parse an update, call one service, render the result."""

from core.lazy_models import import_deferring_models

# Before any module imports aiogram: its Bot API models are built when first used, not all at
# start-up (core/lazy_models.py: ~110 MB less per process).
import_deferring_models("aiogram", ("aiogram.types.", "aiogram.methods."))
