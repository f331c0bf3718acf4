"""Telegram front end (aiogram 3): parse an update, call one service, render the result."""
