"""Proactive messages: outbox fan-out, paced delivery and scheduled jobs.

Importing it builds nothing: a process calls ``runtime.build_notifications_runtime``.
"""
