"""Owns the /settings screens: the overview, one kind's choices, quiet hours and the digest time.

Pure functions over core's ``NotificationSettings``; every button shows the current choice (✓).
Timetable changes are the school's duty messages: the overview says they cannot be turned off.
"""

from __future__ import annotations

from datetime import time

from aiogram.types import InlineKeyboardButton

from bot.callbacks import (
    DigestTimeCb,
    MyDataCb,
    NotifyCb,
    NotifyChoice,
    NotifyTopic,
    QuietHoursCb,
    SettingsCb,
)
from bot.i18n import Translator
from bot.views.common import Screen, keyboard, menu_row
from bot.views.language import LANGUAGE_NAMES
from core.services.preferences import (
    DIGEST,
    INSTANT,
    OFF,
    NotificationDefaults,
    NotificationSettings,
)

TOPIC_KEYS: dict[str, str] = {
    "mark": "settings.topic.mark",
    "absence": "settings.topic.absence",
    "homework": "settings.topic.homework",
    "news": "settings.topic.news",
}
TOPIC_ICONS: dict[str, str] = {"mark": "📊", "absence": "🚪", "homework": "📚", "news": "📰"}
MODE_KEYS: dict[str, str] = {
    INSTANT: "settings.mode.instant",
    DIGEST: "settings.mode.digest",
    OFF: "settings.mode.off",
}
MODE_ICONS: dict[str, str] = {INSTANT: "⚡", DIGEST: "🗞", OFF: "🔕"}
CHOICES: tuple[NotifyChoice, ...] = ("instant", "digest", "off")
# Quiet-hours presets (start, end); (0:00, 0:00) is "none".
QUIET_PRESETS: tuple[tuple[time, time], ...] = (
    (time(21, 0), time(7, 0)),
    (time(22, 0), time(7, 0)),
    (time(20, 0), time(8, 0)),
)
NO_QUIET = (time(0, 0), time(0, 0))
DIGEST_PRESETS: tuple[time, ...] = (time(7, 0), time(16, 0), time(18, 0), time(20, 0))
SCHOOL_DEFAULT = -1  # the buttons' value for "the school default"
CHECK = "✓ "
TOPICS: tuple[NotifyTopic, ...] = ("mark", "absence", "homework", "news")


def hhmm(value: time) -> str:
    """A time of day as 21:00."""
    return value.strftime("%H:%M")


def minutes(value: time) -> int:
    """Minutes after midnight (what the buttons carry)."""
    return value.hour * 60 + value.minute


def overview(settings: NotificationSettings, t: Translator, *, saved: bool = False) -> Screen:
    """Everything in one screen, with a button per thing to change."""
    lines = [t("settings.title")]
    if saved:
        lines.append(t("settings.saved"))
    lines += [
        "",
        t("settings.language", language=_language_name(settings.language)),
        "",
        t("settings.notifications"),
    ]
    for topic in settings.topics:
        line = t(
            "settings.topic_line",
            icon=TOPIC_ICONS[topic.topic],
            topic=t(TOPIC_KEYS[topic.topic]),
            mode=t(MODE_KEYS[topic.mode]),
        )
        lines.append(line if topic.chosen else f"{line} {t('settings.default_mark')}")
    lines += ["", _quiet_line(settings, t), _digest_line(settings, t), "", t("settings.duty")]
    rows = [[_button(t("settings.button.language"), SettingsCb(view="language").pack())]]
    rows += [
        [
            _button(
                f"{TOPIC_ICONS[topic.topic]} {t(TOPIC_KEYS[topic.topic])}: "
                f"{t(MODE_KEYS[topic.mode])}",
                NotifyCb(topic=_topic(topic.topic), mode="ask").pack(),
            )
        ]
        for topic in settings.topics
    ]
    rows.append(
        [
            _button(t("settings.button.quiet"), SettingsCb(view="quiet").pack()),
            _button(t("settings.button.digest"), SettingsCb(view="digest").pack()),
        ]
    )
    rows.append([_button(t("mydata.button.settings"), MyDataCb(action="menu").pack())])
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def topic_choices(settings: NotificationSettings, topic: str, t: Translator) -> Screen:
    """How one kind arrives: instant, in the digest, or off (the current one ticked)."""
    current = settings.mode(topic)
    lines = [
        t("settings.topic.question", topic=t(TOPIC_KEYS[topic])),
        "",
        t("settings.mode.instant.about"),
        t("settings.mode.digest.about", time=hhmm(settings.digest_at)),
        t("settings.mode.off.about"),
    ]
    row = [
        _button(
            _ticked(current == mode, f"{MODE_ICONS[mode]} {t(MODE_KEYS[mode])}"),
            NotifyCb(topic=_topic(topic), mode=mode).pack(),
        )
        for mode in CHOICES
    ]
    return Screen("\n".join(lines), keyboard([row, _back(t)]))


def quiet_choices(
    settings: NotificationSettings, defaults: NotificationDefaults, t: Translator
) -> Screen:
    """Quiet-hours presets, none, and the school default (the current one ticked)."""
    lines = [t("settings.quiet.title"), t("settings.quiet.about"), "", _quiet_line(settings, t)]
    rows = [
        [
            _button(
                _ticked(
                    settings.quiet_chosen and settings.quiet == preset,
                    t("settings.quiet.range", start=hhmm(preset[0]), end=hhmm(preset[1])),
                ),
                QuietHoursCb(start=minutes(preset[0]), end=minutes(preset[1])).pack(),
            )
        ]
        for preset in QUIET_PRESETS
    ]
    rows.append(
        [
            _button(
                _ticked(
                    settings.quiet_chosen and settings.quiet is None,
                    t("settings.quiet.none_button"),
                ),
                QuietHoursCb(start=minutes(NO_QUIET[0]), end=minutes(NO_QUIET[1])).pack(),
            )
        ]
    )
    school = t(
        "settings.quiet.range", start=hhmm(defaults.quiet_from), end=hhmm(defaults.quiet_to)
    )
    rows.append(
        [
            _button(
                _ticked(not settings.quiet_chosen, t("settings.school_default", value=school)),
                QuietHoursCb(start=SCHOOL_DEFAULT, end=SCHOOL_DEFAULT).pack(),
            )
        ]
    )
    rows.append(_back(t))
    return Screen("\n".join(lines), keyboard(rows))


def digest_choices(
    settings: NotificationSettings, defaults: NotificationDefaults, t: Translator
) -> Screen:
    """Digest-time presets and the school's time (the current one ticked)."""
    lines = [t("settings.digest.title"), t("settings.digest.about"), "", _digest_line(settings, t)]
    presets = [
        _button(
            _ticked(settings.digest_chosen and settings.digest_at == at, hhmm(at)),
            DigestTimeCb(minutes=minutes(at)).pack(),
        )
        for at in DIGEST_PRESETS
    ]
    school = _button(
        _ticked(
            not settings.digest_chosen,
            t("settings.school_default", value=hhmm(defaults.digest_at)),
        ),
        DigestTimeCb(minutes=SCHOOL_DEFAULT).pack(),
    )
    return Screen("\n".join(lines), keyboard([presets, [school], _back(t)]))


def unlinked(t: Translator) -> Screen:
    """Before connecting there is nothing to set (the app's language is used)."""
    return Screen(t("settings.unlinked"))


def _quiet_line(settings: NotificationSettings, t: Translator) -> str:
    if settings.quiet is None:
        value = t("settings.quiet.off")
    else:
        value = t(
            "settings.quiet.range", start=hhmm(settings.quiet[0]), end=hhmm(settings.quiet[1])
        )
    line = t("settings.quiet.line", value=value)
    return line if settings.quiet_chosen else f"{line} {t('settings.default_mark')}"


def _digest_line(settings: NotificationSettings, t: Translator) -> str:
    line = t("settings.digest.line", time=hhmm(settings.digest_at))
    return line if settings.digest_chosen else f"{line} {t('settings.default_mark')}"


def _ticked(on: bool, label: str) -> str:
    return CHECK + label if on else label


def _topic(topic: str) -> NotifyTopic:
    for known in TOPICS:  # core and the buttons name the same kinds
        if known == topic:
            return known
    raise ValueError(topic)


def _language_name(language: str) -> str:
    return next((name for code, name in LANGUAGE_NAMES.items() if code == language), language)


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _back(t: Translator) -> list[InlineKeyboardButton]:
    return [_button(t("settings.back"), SettingsCb(view="menu").pack())]
