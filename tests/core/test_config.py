"""Configuration: file, environment overrides, validation errors and masked secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import CoreSettings, load_settings, mask_url, masked
from core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database.url == "sqlite+aiosqlite:///./data/ejournal.sqlite3"
    assert settings.school.time_zone == "Europe/Riga"
    assert settings.school.locale == "lv"


def test_file_then_environment_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///x.sqlite3"\n[school]\nlocale = "en"\n'
    )
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", "postgresql+asyncpg://u:pw@db/prod")
    settings = load_settings(config)
    assert settings.database.url == "postgresql+asyncpg://u:pw@db/prod"
    assert settings.school.locale == "en"


def test_example_config_is_valid_and_complete() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    # The example documents the defaults: loading it changes nothing.
    assert settings == CoreSettings()


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ('[database]\nurl = "mysql://x"\n', "config.invalid"),
        ('[school]\ntime_zone = "Mars/Olympus"\n', "config.invalid"),
        ("[database]\nurrl = 1\n", "config.invalid"),
        ("[database\nurl=", "config.toml_invalid"),
        ('[redis]\nurl = "http://127.0.0.1:6379"\n', "config.invalid"),
        ('[redis]\nkey_prefix = "two words"\n', "config.invalid"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, content: str, key: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(InvalidInput) as caught:
        load_settings(config)
    assert caught.value.key == key


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_settings(tmp_path / "nope.toml")
    assert caught.value.key == "config.file_missing"


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", "postgresql+asyncpg://u:hunter2@db/prod")
    monkeypatch.setenv("EJOURNAL_DATABASE__PASSWORD", "s3cret")
    monkeypatch.setenv("EJOURNAL_REDIS__URL", "redis://:redis-pass@cache:6379/0")
    settings = load_settings()
    assert settings.redis.enabled
    shown = str(masked(settings))
    assert "redis-pass" not in shown
    assert "redis://:***@cache:6379/0" in shown
    assert "hunter2" not in shown
    assert "s3cret" not in shown
    assert mask_url("postgresql+asyncpg://u@db/x") == "postgresql+asyncpg://u@db/x"


def test_any_url_with_a_password_is_masked() -> None:
    from pydantic_settings import BaseSettings

    class WithDemo(CoreSettings):
        extra_url: str = "postgresql+asyncpg://demo:demo-secret@h/db"

    assert isinstance(WithDemo(), BaseSettings)
    assert "demo-secret" not in str(masked(WithDemo()))


def test_sql_statements_stay_out_of_debug_logs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import logging

    from core.logs import configure_logging

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[logging]\nlevel = "DEBUG"\n')
    configure_logging(load_settings())
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("ejournal").isEnabledFor(logging.DEBUG)
    logging.getLogger().setLevel(logging.WARNING)
