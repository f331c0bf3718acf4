"""deploy/ stays true to the code: every ``ejournal`` command line there is a real console command,
every ``EJOURNAL_*`` variable a real setting, and the compose and systemd recipes configure what
``ejournal run --workers N`` needs (docs/scale-out.md).

There is no YAML parser among the dependencies; compose.yaml is read line by line, which its
plain layout allows.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bot.__main__ import EXTENSIONS, ProductSettings
from bot.settings import run_problem
from bot.workers import workers_problem
from core.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
VARIABLE = re.compile(r"\bEJOURNAL_[A-Z0-9_]+")
INTERPOLATION = re.compile(r"\$\{(\w+)(?::[-?]([^}]*))?\}")


def deploy_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file() and p.name != ".env")


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def services() -> dict[str, list[str]]:
    """compose.yaml's services, each with the lines of its block."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    inside = False
    for line in COMPOSE.read_text(encoding="utf-8").splitlines():
        if not line.startswith(" ") and line.strip():
            inside = line.startswith("services:")
            current = None
            continue
        if inside and re.fullmatch(r"  [a-z-]+:", line):
            current = blocks.setdefault(line.strip().rstrip(":"), [])
        elif inside and current is not None:
            current.append(line)
    return blocks


def compose_command(block: list[str]) -> list[str] | None:
    for line in block:
        found = re.fullmatch(r"\s+command: (\[.*\])", line)
        if found:
            return [part.strip().strip('"') for part in found[1].strip("[]").split(",")]
    return None


def compose_environment(names: tuple[str, ...]) -> dict[str, str]:
    """The EJOURNAL_* environment of those services (anchors included), .env.example filled in."""
    values = env_example()
    text = COMPOSE.read_text(encoding="utf-8")
    anchor = text[text.index("x-ejournal-env:") : text.index("services:")]
    lines = anchor.splitlines()
    blocks = services()
    for name in names:
        lines += blocks[name]
    env = {}
    for line in lines:
        found = re.fullmatch(r"\s+(EJOURNAL_\w+): (.*)", line)
        if found:
            raw = found[2].strip().strip('"')
            env[found[1]] = INTERPOLATION.sub(lambda m: values.get(m[1], m[2] or ""), raw)
    return env


def console_commands() -> list[tuple[str, list[str]]]:
    """Every ``ejournal`` command line in deploy/, as console arguments."""
    found: list[tuple[str, list[str]]] = []
    blocks = services()
    for name in ("migrate", "bot"):
        command = compose_command(blocks[name])
        assert command is not None, name
        found.append((f"compose.yaml {name}", command))
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["ejournal"]' in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    found.append(("Dockerfile CMD", [p.strip().strip('"') for p in cmd[1].strip("[]").split(",")]))
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart="):
                words = shlex.split(line.removeprefix("ExecStart="))
                assert words[0].endswith("/ejournal"), line
                found.append((unit.name, words[1:]))
    return found


@pytest.mark.parametrize(("where", "argv"), console_commands(), ids=str)
def test_every_ejournal_command_line_is_a_real_console_command(
    where: str, argv: list[str]
) -> None:
    args = build_parser(EXTENSIONS).parse_args(argv)
    assert callable(args.handler), where
    if args.command == "run":
        assert args.workers is not None, f"{where}: the bot runs several workers"
        assert args.workers > 1


def setting_exists(name: str) -> bool:
    """Whether ``EJOURNAL_<TABLE>__<KEY>`` names a field of the settings the console loads."""
    parts = name.removeprefix("EJOURNAL_").lower().split("__")
    model: type[BaseModel] = ProductSettings
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if depth < len(parts) - 1:
            annotation = field.annotation
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def test_every_ejournal_variable_named_in_deploy_is_a_real_setting() -> None:
    names = {n for p in deploy_files() for n in VARIABLE.findall(p.read_text(encoding="utf-8"))}
    assert "EJOURNAL_BOT__TOKEN" in names
    unknown = sorted(n for n in names if not setting_exists(n))
    assert not unknown


def load_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **file: Any) -> Any:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return ProductSettings(**file)


def test_the_compose_bot_is_configured_for_several_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = compose_environment(("bot",))
    settings = load_with(monkeypatch, env)
    assert settings.bot.mode == "webhook"
    assert workers_problem(settings, None) is None
    assert run_problem(settings, "webhook") is None
    assert settings.bot.webhook_url == "https://journal.example.lv/telegram"
    assert settings.bot.token.get_secret_value() == env_example()["EJOURNAL_BOT__TOKEN"]
    # nginx forwards the webhook path and the calendar to the ports the bot listens on
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert f"server bot:{settings.bot.listen_port};" in nginx
    assert f"server bot:{settings.calendar.port};" in nginx
    assert f"location = {settings.bot.webhook_path} {{" in nginx
    # the migrations run on the same database before the bot starts
    migrate = load_with(monkeypatch, compose_environment(("migrate",)))
    assert migrate.database == settings.database
    bot = "\n".join(services()["bot"])
    assert "service_completed_successfully" in bot


def test_compose_has_the_whole_topology() -> None:
    blocks = services()
    assert set(blocks) == {"postgres", "redis", "migrate", "bot", "nginx"}
    assert "    image: postgres:16" in blocks["postgres"]
    assert "    image: redis:7" in blocks["redis"]
    assert any("443:443" in line for line in blocks["nginx"])
    assert compose_command(blocks["migrate"]) == ["db", "upgrade"]
    # secrets are interpolated from the env file, never written into compose.yaml
    text = COMPOSE.read_text(encoding="utf-8")
    for secret in ("EJOURNAL_BOT__TOKEN", "EJOURNAL_BOT__WEBHOOK_SECRET", "POSTGRES_PASSWORD"):
        assert re.search(rf"{secret}: \$\{{{secret}:\?", text), secret
    ignored = (DEPLOY / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored
    assert "tls/" in ignored


def test_the_systemd_recipe_configures_several_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (DEPLOY / "systemd" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    file = tomllib.loads(re.sub(r"^ {3}", "", block[1], flags=re.MULTILINE))
    secrets = {k: v for k, v in env_example().items() if k.startswith("EJOURNAL_")}
    settings = load_with(monkeypatch, secrets, **file)
    assert workers_problem(settings, None) is None
    assert run_problem(settings, "webhook") is None
    bot = (DEPLOY / "systemd" / "ejournal-bot.service").read_text(encoding="utf-8")
    for line in ("KillMode=mixed", "NoNewPrivileges=yes", "ProtectSystem=strict"):
        assert line in bot.splitlines()
    assert "Requires=ejournal-migrate.service" in bot
