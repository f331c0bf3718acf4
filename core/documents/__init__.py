"""Printable documents (PDF) rendered from service results. No storage, no Telegram library."""
