"""The log scan finds what it must (names, phone numbers, codes, tokens) and quotes none of it."""

from __future__ import annotations

import logging

import pytest

from tests.logscan import (
    Captured,
    CaptureHandler,
    LogScan,
    find_leaks,
    person_needles,
    secret_needles,
)

PERSON = person_needles("Jānis", "Bērziņš", "+37120000001", "010190-12345", "j@example.lv")
TOKEN = "123456:AAbbCCddEEff-secret"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("opened Jānis Bērziņš", "name"),
        ("list: Bērziņš Jānis", "name"),
        ("family Bērziņš alone", "name"),
        ("sms to +37120000001 failed", "phone"),
        ("sms to 37120000001 failed", "phone"),
        ("code 010190-12345", "personal code"),
        ("code 01019012345", "personal code"),
        ("mail j@example.lv", "e-mail"),
        (f"POST https://api.telegram.org/bot{TOKEN}/getMe", "secret"),
        ("only the secret half: AAbbCCddEEff-secret", "secret"),
    ],
)
def test_each_kind_of_leak_is_found_and_named_not_quoted(text: str, kind: str) -> None:
    needles = {**PERSON, **secret_needles(TOKEN)}
    [leak] = find_leaks([Captured("t::x", "aiogram.event", text)], needles)
    assert (leak.test, leak.logger, leak.kind) == ("t::x", "aiogram.event", kind)
    assert text not in repr(leak)


@pytest.mark.parametrize(
    "text", ["update 42 handled by bot 123456", "pupil 17 got a mark", "Jānis", ""]
)
def test_ids_and_a_lone_given_name_are_not_leaks(text: str) -> None:
    assert find_leaks([Captured("t", "x", text)], {**PERSON, **secret_needles(TOKEN)}) == []


def test_the_handler_keeps_records_of_the_running_test_with_arguments_and_tracebacks() -> None:
    handler = CaptureHandler()
    logger = logging.getLogger("tests.logscan.probe")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("before any test: %s", "Bērziņš")
        handler.test = "t::one"
        logger.debug("debug %s", "Jānis Bērziņš")
        try:
            raise ValueError("token " + TOKEN)
        except ValueError:
            logger.exception("failed")
        handler.test = ""
    finally:
        logger.removeHandler(handler)
    scan = LogScan(handler=handler, secrets={TOKEN})
    scan.people["t::one"] = PERSON
    scan.check_test("t::one")
    assert {(x.logger, x.kind) for x in scan.finish()} == {
        ("tests.logscan.probe", "name"),
        ("tests.logscan.probe", "secret"),
    }
    assert scan.scanned_records == 2
