"""The [bot] and [demo] tables: defaults, validation, masking and `ejournal config check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.__main__ import main
from bot.settings import AppSettings, BotSettings, DemoSettings, run_problem
from core.config import CoreSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = AppSettings()
    assert settings.bot.mode == "polling"
    assert settings.bot.listen_host == "127.0.0.1"
    assert settings.bot.listen_port == 8443
    assert settings.bot.webhook_path == "/telegram"
    assert settings.bot.drain_seconds == 25
    assert settings.demo == DemoSettings()
    assert settings.demo.database_url == "sqlite+aiosqlite:///./data/demo.sqlite3"


def test_example_config_documents_the_defaults() -> None:
    assert load_settings(ROOT / "config.example.toml", AppSettings) == AppSettings()
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for key in BotSettings.model_fields:
        assert f"# {key} = " in text, key
    for key in DemoSettings.model_fields:
        assert f"# {key} = " in text, key


@pytest.mark.parametrize(
    "bot",
    [
        {"webhook_secret": "has space"},
        {"webhook_secret": "x" * 257},
        {"webhook_secret": ""},
        {"mode": "carrier-pigeon"},
        {"api_base": "ftp://x"},
        {"webhook_path": "telegram"},
        {"unknown": 1},
    ],
)
def test_bad_bot_values_are_refused(bot: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AppSettings(bot=bot)  # type: ignore[arg-type]


def test_demo_database_must_be_a_known_driver() -> None:
    with pytest.raises(ValidationError):
        DemoSettings(database_url="mysql://x")


def test_what_is_missing_to_run() -> None:
    assert run_problem(AppSettings(), "polling") == "run.token_missing"
    malformed = AppSettings(bot={"token": "no colon"})  # type: ignore[arg-type]
    assert run_problem(malformed, "polling") == "run.token_invalid"
    with_token = AppSettings(bot={"token": "1:x"})  # type: ignore[arg-type]
    assert run_problem(with_token, "polling") is None
    assert run_problem(with_token, "webhook") == "run.webhook_secret_missing"
    secret = AppSettings(bot={"token": "1:x", "webhook_secret": "s_1-"})  # type: ignore[arg-type]
    assert run_problem(secret, "webhook") == "run.webhook_url_missing"


def test_config_check_prints_the_bot_tables_with_masked_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_BOT__TOKEN", "123456:very-secret-token")
    monkeypatch.setenv("EJOURNAL_BOT__WEBHOOK_SECRET", "hook_secret-1")
    monkeypatch.setenv("EJOURNAL_DEMO__PORT", "9090")
    assert main(["--lang", "en", "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-token" not in out
    assert "hook_secret-1" not in out
    data = json.loads(out[out.index("{") :])
    assert data["bot"]["token"] == "**********"
    assert data["bot"]["webhook_secret"] == "**********"
    assert data["demo"]["port"] == 9090


def test_run_without_a_token_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "en", "run"]) == 2
    assert "No bot token" in capsys.readouterr().err


def test_core_settings_still_accept_the_example() -> None:
    assert load_settings(ROOT / "config.example.toml") == CoreSettings()
