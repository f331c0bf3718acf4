"""Secrets: the webhook secret is compared in constant time; a readable config file warns."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiohttp.test_utils import TestClient, TestServer

from bot import runtime
from bot.__main__ import main
from bot.runtime import SECRET_HEADER, WebhookServer

UPDATE = {
    "update_id": 7,
    "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/x"},
}


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every call the webhook makes to hmac.compare_digest (which still decides)."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the module bot.runtime calls
    return calls


@pytest.fixture
def processed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []

    async def record(_bot: Bot, _dp: Dispatcher, update: Any) -> None:
        seen.append(update.update_id)

    monkeypatch.setattr(runtime, "process", record)
    return seen


@pytest.fixture
async def client() -> Any:
    bot = Bot(token="123456:webhook-test-token")
    server = WebhookServer(
        bot, Dispatcher(), secret="right_secret-1", path="/telegram", drain_seconds=1
    )
    async with TestClient(TestServer(server.app())) as http:
        yield http
    await bot.session.close()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SECRET_HEADER: "wrong"},
        {SECRET_HEADER: "right_secret-"},
        {SECRET_HEADER: "Right_secret-1"},
    ],
)
async def test_a_wrong_secret_is_refused_in_constant_time_and_nothing_is_processed(
    client: Any,
    compared: list[tuple[bytes, bytes]],
    processed: list[int],
    headers: dict[str, str],
) -> None:
    response = await client.post("/telegram", json=UPDATE, headers=headers)
    assert response.status == 401
    assert processed == []
    [(given, expected)] = compared
    assert expected == b"right_secret-1"
    assert given == headers.get(SECRET_HEADER, "").encode()


async def test_the_right_secret_is_checked_with_compare_digest_and_processed(
    client: Any, compared: list[tuple[bytes, bytes]], processed: list[int]
) -> None:
    response = await client.post(
        "/telegram", json=UPDATE, headers={SECRET_HEADER: "right_secret-1"}
    )
    assert response.status == 200
    assert processed == [7]
    assert compared == [(b"right_secret-1", b"right_secret-1")]


def _config(tmp_path: Path, body: str, mode: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    path.chmod(mode)
    return path


TOKEN_CONFIG = '[bot]\ntoken = "123456:file-token"\nmode = "webhook"\n'


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "other users can read it"),
        ("lv", "var lasīt arī citi lietotāji"),
        ("ru", "могут читать другие пользователи"),
    ],
)
def test_config_check_warns_when_others_may_read_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: int, lang: str, text: str
) -> None:
    path = _config(tmp_path, TOKEN_CONFIG, mode)
    assert main(["--config", str(path), "--lang", lang, "config", "check"]) == 0
    captured = capsys.readouterr()
    assert text in captured.err
    assert f"chmod 600 {path}" in captured.err
    assert "file-token" not in captured.out + captured.err


def test_run_warns_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, TOKEN_CONFIG, 0o644)
    assert main(["--config", str(path), "--lang", "en", "run"]) == 2  # no webhook secret
    err = capsys.readouterr().err
    assert "other users can read it" in err
    assert "file-token" not in err


@pytest.mark.parametrize(
    ("body", "mode"),
    [
        (TOKEN_CONFIG, 0o600),  # only the owner reads it
        (TOKEN_CONFIG, 0o400),
        ('[school]\nlocale = "en"\n', 0o644),  # no secret in it
        ('[database]\nurl = "postgresql+asyncpg://u@db/x"\n', 0o644),  # a URL, no password
    ],
)
def test_no_warning_for_a_private_file_or_one_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, mode: int
) -> None:
    path = _config(tmp_path, body, mode)
    assert main(["--config", str(path), "--lang", "en", "config", "check"]) == 0
    assert "other users can read it" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "body",
    [
        '[database]\npassword = "pw-123456"\n',
        '[database]\nurl = "postgresql+asyncpg://u:pw-123456@db/x"\n',
        '[bot]\nwebhook_secret = "hook_secret-1"\n',
    ],
)
def test_other_secrets_in_a_readable_file_warn_as_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    path = _config(tmp_path, body, 0o644)
    assert main(["--config", str(path), "--lang", "en", "config", "check"]) == 0
    assert "other users can read it" in capsys.readouterr().err
