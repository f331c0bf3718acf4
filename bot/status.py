"""Owns the bot's part of ``ejournal status`` (Redis, live processes) and its report.

The composition root (``bot/__main__.py``) gathers the sections, each from the layer that owns
its data: the database (``core.cli_status``), Redis and the bot processes (here: the processes'
heartbeats, ``bot.presence``, or a look at ``/healthz`` without Redis), the outbox and the leader
(``notifications.status``). This module prints them as text or as one JSON object and turns
their problems into the exit code. Only the composition root imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.presence import live_processes
from bot.settings import AppSettings
from core.config import mask_url
from core.status import Problem, StatusSection, safe_detail

Text = Callable[..., str]
HEALTH_TIMEOUT_S = 1.0
REDIS_TIMEOUT_S = 3.0


async def bot_sections(settings: AppSettings, t: Text) -> list[StatusSection]:
    """Redis (when configured) and the bot processes that can be seen from here."""
    if not settings.redis.enabled:
        return [
            StatusSection("redis", {"configured": False}, (t("status.redis.off"),)),
            await _health_section(settings, t),
        ]
    address = mask_url(settings.redis.url)
    redis = Redis.from_url(
        settings.redis.url,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        socket_timeout=REDIS_TIMEOUT_S,
    )
    try:
        await redis.ping()  # type: ignore[misc]
        records = await live_processes(redis, settings.redis.key_prefix)
    except (RedisError, OSError) as exc:
        detail = safe_detail(exc)
        data = {"configured": True, "url": address, "reachable": False, "error": detail}
        problem = Problem(
            "status.problem.redis_unreachable",
            t("status.problem.redis_unreachable", address=address),
        )
        return [
            StatusSection(
                "redis",
                data,
                (t("status.redis.unreachable", address=address, detail=detail),),
                (problem,),
            ),
            StatusSection(
                "processes",
                {"visible": False, "source": "redis", "items": []},
                (t("status.processes.heading"), t("status.processes.redis_down")),
            ),
        ]
    finally:
        await redis.aclose()
    redis_part = StatusSection(
        "redis",
        {"configured": True, "url": address, "reachable": True},
        (t("status.redis.reachable", address=address),),
    )
    lines = [t("status.processes.heading")]
    lines += [
        t(
            "status.processes.item",
            worker=record.worker if record.worker is not None else "-",
            pid=record.pid,
            host=record.host,
            mode=record.mode,
            since=record.started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
        for record in records
    ]
    problems: tuple[Problem, ...] = ()
    if not records:
        lines.append(t("status.processes.none"))
        problems = (Problem("status.problem.no_process", t("status.problem.no_process")),)
    data = {"visible": True, "source": "redis", "items": [r.as_json() for r in records]}
    return [redis_part, StatusSection("processes", data, tuple(lines), problems)]


def health_url(settings: AppSettings) -> str | None:
    """Where this machine's webhook process answers ``/healthz`` (None: polling, or port 0)."""
    bot = settings.bot
    if bot.mode != "webhook" or bot.listen_port == 0:
        return None
    host = bot.listen_host
    if host in ("", "0.0.0.0"):  # listening everywhere: ask the loopback
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{bot.listen_port}/healthz"


async def _health_section(settings: AppSettings, t: Text) -> StatusSection:
    """Without Redis the processes register nowhere: ask the webhook's ``/healthz`` if known."""
    lines = [t("status.processes.heading"), t("status.processes.no_redis")]
    url = health_url(settings)
    data: dict[str, Any] = {"visible": False, "source": None, "items": []}
    if url is None:
        return StatusSection("processes", data, tuple(lines))
    data.update(source="healthz", url=url)
    try:
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(url, allow_redirects=False) as response,
        ):
            health = await response.json() if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        health, data["error"] = None, safe_detail(exc)
    if not isinstance(health, dict) or health.get("status") != "ok":
        lines.append(t("status.processes.health_silent", url=url))
        problem = Problem(
            "status.problem.health_silent", t("status.problem.health_silent", url=url)
        )
        return StatusSection("processes", data, tuple(lines), (problem,))
    pid, handled = health.get("pid"), health.get("handled")
    data.update(visible=True, items=[{"pid": pid, "handled": handled}])
    lines.append(t("status.processes.health_ok", url=url, pid=pid, handled=handled))
    return StatusSection("processes", data, tuple(lines))


def problems_of(sections: Sequence[StatusSection]) -> list[Problem]:
    """Every problem, section by section."""
    return [problem for section in sections for problem in section.problems]


def exit_code(sections: Sequence[StatusSection]) -> int:
    """0 when nothing is wrong, else 1."""
    return 1 if problems_of(sections) else 0


def report_lines(sections: Sequence[StatusSection], t: Text) -> list[str]:
    """The status as text: each section, then the verdict naming every problem."""
    lines = [line for section in sections for line in section.lines]
    problems = problems_of(sections)
    lines.append("")
    if not problems:
        lines.append(t("status.healthy"))
        return lines
    lines.append(t("status.problems", count=len(problems)))
    lines += [f"  - {problem.text}" for problem in problems]
    return lines


def report_json(sections: Sequence[StatusSection]) -> str:
    """The status as one JSON object (``--json``), for monitoring."""
    problems = problems_of(sections)
    report: dict[str, Any] = {
        "healthy": not problems,
        "problems": [{"code": p.code, "text": p.text} for p in problems],
    }
    for section in sections:
        report[section.name] = dict(section.data)
    return json.dumps(report, ensure_ascii=False, sort_keys=True)
