"""Owns the ``[notifications]`` config table: pacing, fan-out rules, schedules, leases.

Extends nothing in core (composition roots compose); refuses schedules between 03:00 and 04:00.
"""

from __future__ import annotations

from datetime import time
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["instant", "digest", "off"]

# Europe/Riga skips 03:00-04:00 in March and repeats it in October: no schedule may fall there.
DST_WINDOW = (time(3, 0), time(4, 0))


def outside_dst_window(value: time) -> time:
    """Refuse a schedule time inside the DST change window (03:00 up to 04:00).

    Raises:
        ValueError: When the time falls inside the window.
    """
    if DST_WINDOW[0] <= value.replace(tzinfo=None) < DST_WINDOW[1]:
        msg = "schedule times between 03:00 and 04:00 are skipped or doubled on DST days"
        raise ValueError(msg)
    return value


class NotificationsSettings(BaseModel):
    """The ``[notifications]`` table (every key has a default; see config.example.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ------------------------------------------------------------------ pacing (delivery)
    global_per_second: float = Field(default=25.0, gt=0, le=1000)
    global_burst: int = Field(default=1, ge=1, le=1000)
    private_per_second: float = Field(default=1.0, gt=0, le=30)
    group_per_minute: float = Field(default=20.0, gt=0, le=600)
    pacing_guard_s: float = Field(default=0.05, ge=0, le=5)
    max_in_flight: int = Field(default=32, ge=1, le=1000)
    claim_batch: int = Field(default=100, ge=1, le=5000)
    lease_s: float = Field(default=60.0, ge=1, le=3600)
    idle_poll_s: float = Field(default=0.5, gt=0, le=60)
    request_timeout_s: float = Field(default=15.0, gt=0, le=300)
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_base_s: float = Field(default=2.0, ge=0, le=3600)
    backoff_max_s: float = Field(default=600.0, ge=0, le=86400)
    jitter_seed: int | None = None
    drain_s: float = Field(default=10.0, ge=0, le=600)

    # ------------------------------------------------------------------ fan-out
    fanout_interval_s: float = Field(default=1.0, gt=0, le=600)
    fanout_batch: int = Field(default=500, ge=1, le=10000)
    gap_timeout_s: float = Field(default=120.0, ge=0, le=86400)
    mark_grace_minutes: float = Field(default=10.0, ge=0, le=240)
    notify_pupils_of_marks: bool = True
    notify_pupils_of_absences: bool = False
    notify_pupils_of_homework: bool = True
    mark_mode: Mode = "instant"
    absence_mode: Mode = "instant"
    # Homework set or changed: by default folded into the evening digest (one message a day).
    homework_mode: Mode = "digest"
    news_mode: Mode = "instant"
    quiet_from: time = time(21, 0)
    quiet_to: time = time(7, 0)

    # ------------------------------------------------------------------ scheduler
    run_scheduler: bool = True
    # Deliver from the bot process (`ejournal run`, `ejournal demo`). Set false when a separate
    # `python -m notifications worker` runs instead (on SQLite, exactly one of them may run).
    run_in_bot: bool = True
    # Everyone's digest time unless they chose their own (/settings: 06:00-22:00). A digest
    # missed by more than (digest_deadline - digest_time), e.g. the engine was down, waits for
    # the next day's.
    digest_time: time = time(18, 0)
    digest_deadline: time = time(20, 0)
    # The timetable push (school rule 3.3): each school day at ``timetable_push_time`` everyone
    # affected by the published changes of the next school day gets them, delivered by
    # ``timetable_deadline``; at ``timetable_watch_time`` the superuser is reminded if nothing
    # has been published for that day yet.
    timetable_push_time: time = time(11, 0)
    timetable_deadline: time = time(12, 0)
    timetable_watch_time: time = time(11, 30)
    # Teachers' and parents' notices: the same-day absence message carries a "report the reason"
    # button (for guardians with full rights, when no note covers the day); at
    # ``teacher_reminder_time`` on a school day each teacher whose lessons miss a topic or
    # attendance gets one reminder (caught up on start until ``teacher_reminder_until``).
    absence_report_button: bool = True
    teacher_reminders: bool = True
    teacher_reminder_time: time = time(16, 0)
    teacher_reminder_until: time = time(20, 0)
    # Monthly progress extracts (school rule 5.1): on ``extract_day`` of each month at
    # ``extract_time`` every pupil with an account and every guardian with full rights gets the
    # previous month's extract as a PDF (rendered when sent), delivered by ``extract_deadline``;
    # then each class teacher gets the counts and can print the missing ones.
    monthly_extracts: bool = True
    extract_day: int = Field(default=1, ge=1, le=28)
    extract_time: time = time(9, 0)
    extract_deadline: time = time(18, 0)
    coalesce: bool = True
    misfire_grace_s: int = Field(default=3600, ge=1, le=86400)
    max_instances: int = Field(default=1, ge=1, le=10)
    leader_retry_s: float = Field(default=15.0, gt=0, le=3600)
    deadline_margin: float = Field(default=0.2, ge=0, le=10)
    deadline_min_margin_s: float = Field(default=300.0, ge=0, le=86400)

    @field_validator(
        "digest_time",
        "digest_deadline",
        "timetable_push_time",
        "timetable_deadline",
        "timetable_watch_time",
        "teacher_reminder_time",
        "teacher_reminder_until",
        "extract_time",
        "extract_deadline",
    )
    @classmethod
    def _schedulable(cls, value: time) -> time:
        return outside_dst_window(value)

    @model_validator(mode="after")
    def _deadline_after_start(self) -> Self:
        if self.digest_deadline <= self.digest_time:
            msg = "digest_deadline must be later than digest_time on the same day"
            raise ValueError(msg)
        if self.timetable_deadline <= self.timetable_push_time:
            msg = "timetable_deadline must be later than timetable_push_time on the same day"
            raise ValueError(msg)
        if self.timetable_deadline <= self.timetable_watch_time:
            msg = "timetable_deadline must be later than timetable_watch_time on the same day"
            raise ValueError(msg)
        if self.teacher_reminder_until <= self.teacher_reminder_time:
            msg = "teacher_reminder_until must be later than teacher_reminder_time on the same day"
            raise ValueError(msg)
        if self.extract_deadline <= self.extract_time:
            msg = "extract_deadline must be later than extract_time on the same day"
            raise ValueError(msg)
        return self
