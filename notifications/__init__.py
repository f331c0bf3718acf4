"""Proactive messages: outbox fan-out, paced delivery and scheduled jobs."""
