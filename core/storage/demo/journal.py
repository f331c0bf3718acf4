"""Owns the demo journal: lessons with topics and homework, attendance, assessments, marks, news.

Package-internal; reads the ``Roster`` built by ``school`` and writes rows into the ``Context``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.domain.attendance import Justification
from core.domain.calendar import standard_bells
from core.domain.marks import MarkKind, MarkScale, MarkStatus, parse_mark
from core.domain.policy import default_policy
from core.storage.demo import vocabulary as v
from core.storage.demo.model import LAST_GRADE, Context, Group, Roster, Slots

_DAY = timedelta(days=1)
_SICK_HAZARD = 0.0095  # chance a healthy pupil falls ill on a school day (x sickliness)
_WEEKS = 34  # school weeks in a year: a subject's topic list lasts about that long

# Ten-point marks and learning levels as the domain spells them.
_TEN = tuple(str(parse_mark(MarkScale.TEN_POINT, str(n)).value) for n in range(1, 11))
_LEVELS = tuple(str(parse_mark(MarkScale.LEVELS, s).value) for s in ("S", "T", "A", "P"))


@dataclass(slots=True)
class _Lesson:
    lesson_id: int
    group: Group
    on: date
    teacher_id: int
    starts_at: datetime
    ends_at: datetime
    taken_at: datetime | None
    topic_base: str | None


@dataclass(frozen=True, slots=True)
class _Spell:
    justification: str
    reason: str | None


class JournalBuilder:
    """Writes the school year's journal up to ``ctx.today`` (nothing later than ``ctx.now``)."""

    def __init__(self, ctx: Context, roster: Roster) -> None:
        self.ctx = ctx
        self.roster = roster
        self.pupils = roster.pupils
        self.groups = roster.groups
        self.bells = standard_bells()
        self.policy = default_policy()
        self.topic_state: dict[int, list[int]] = {}
        self.subject_offsets: dict[tuple[int, str], float] = {}

    def build(self) -> None:
        """Lessons, attendance, marks and news."""
        sick = self._sick_days()
        lessons, absent = self._add_lessons(self.roster.slots, sick)
        self._add_marks(lessons, absent)
        self._add_news()

    # -------------------------------------------------------------------------- absences

    def _justification(self, day: date, *, late: bool = False) -> Justification:
        """Old absences are mostly decided (justified); the last week's mostly pending."""
        r = self.ctx.rng.random()
        if (self.ctx.today - day).days > 7:
            if late:
                return Justification.JUSTIFIED if r < 0.3 else Justification.UNJUSTIFIED
            if r < 0.85:
                return Justification.JUSTIFIED
            return Justification.UNJUSTIFIED if r < 0.95 else Justification.PENDING
        return Justification.JUSTIFIED if r < 0.25 else Justification.PENDING

    def _spell(self, last_day: date, reasons: tuple[str, ...], *, late: bool = False) -> _Spell:
        justification = self._justification(last_day, late=late)
        reason = None
        if justification is Justification.JUSTIFIED and self.ctx.rng.random() < 0.7:
            reason = self.ctx.rng.choice(reasons)
        return _Spell(justification.value, reason)

    def _sick_days(self) -> dict[tuple[int, date], _Spell]:
        """Whole days each pupil is ill: spells of 1-9 school days, more often for some."""
        calendar = self.ctx.calendar
        last = min(self.ctx.today, calendar.ends_on)
        days_by_grade = {
            grade: list(calendar.school_days(calendar.starts_on, last, grade))
            for grade in range(1, LAST_GRADE + 1)
        }
        sick: dict[tuple[int, date], _Spell] = {}
        for pupil_id in sorted(self.pupils):
            pupil = self.pupils[pupil_id]
            days = days_by_grade[pupil.grade]
            i = 0
            while i < len(days):
                if self.ctx.rng.random() < _SICK_HAZARD * pupil.sickliness:
                    length = self.ctx.rng.choice((1, 2, 2, 3, 3, 4, 5, 5, 7, 9))
                    spell_days = days[i : i + length]
                    spell = self._spell(spell_days[-1], v.ILLNESS_REASONS)
                    for day in spell_days:
                        sick[(pupil_id, day)] = spell
                    i += length + 1
                else:
                    i += 1
        return sick

    # --------------------------------------------------------------------------- lessons

    def _add_lessons(
        self,
        slots: Slots,
        sick: Mapping[tuple[int, date], _Spell],
    ) -> tuple[list[_Lesson], dict[int, set[int]]]:
        """Lessons from the year's start to ``today``; attendance for the ones held."""
        group_days: dict[tuple[int, int], set[int]] = {}
        for (number, weekday), entries in slots.items():
            for _, group, _ in entries:
                group_days.setdefault((number, group.group_id), set()).add(weekday)
        lessons: list[_Lesson] = []
        absent: dict[int, set[int]] = {}
        day = self.ctx.calendar.starts_on
        last = min(self.ctx.today, self.ctx.calendar.ends_on)
        while day <= last:
            term = self.ctx.calendar.term_for(day)
            if term is not None:
                for period, group, teacher_id in slots.get((term.number, day.weekday()), ()):
                    if self.ctx.is_school_day(day, group.grade):
                        lesson = self._add_lesson(group, day, period, teacher_id, group_days)
                        lessons.append(lesson)
                        absent[lesson.lesson_id] = self._add_attendance(lesson, sick)
            day += _DAY
        return lessons, absent

    def _add_lesson(
        self,
        group: Group,
        day: date,
        period: int,
        teacher_id: int,
        group_days: Mapping[tuple[int, int], set[int]],
    ) -> _Lesson:
        rng = self.ctx.rng
        bell = self.bells.period(period)
        if bell is None:
            raise ValueError(f"period {period} is not in the standard bell schedule")
        starts = self.ctx.at(day, bell.starts_at)
        ends = self.ctx.at(day, bell.ends_at)
        lesson_id = self.ctx.ids.take("lessons")
        topic = base = homework = None
        due: date | None = None
        taken: datetime | None = None
        created = updated = self.ctx.now
        if starts <= self.ctx.now:
            base, text = self._next_topic(group)
            topic = text if rng.random() < 0.95 else None
            homework, due = self._homework(group, day, group_days)
            if rng.random() < 0.97:
                taken = self.ctx.clip(starts + timedelta(minutes=rng.randint(2, 15)))
            created = self.ctx.clip(starts + timedelta(minutes=rng.randint(1, 30)))
            updated = created
            if homework is not None:
                updated = self.ctx.clip(created + timedelta(minutes=rng.randint(5, 120)))
        self.ctx.rows("lessons").append(
            {
                "id": lesson_id,
                "school_id": self.ctx.school_id,
                "group_id": group.group_id,
                "on_date": day,
                "period": period,
                "teacher_id": teacher_id,
                "is_substitution": False,
                "topic": topic,
                "homework": homework,
                "homework_due_on": due,
                "attendance_taken_at": taken,
                "created_at": created,
                "updated_at": updated,
            }
        )
        return _Lesson(lesson_id, group, day, teacher_id, starts, ends, taken, base)

    def _next_topic(self, group: Group) -> tuple[str, str]:
        """The group's current topic and this lesson's wording.

        Topics last long enough for the list to span the school year.
        """
        rng = self.ctx.rng
        if group.subject is None:
            topics = v.INTEREST_TOPICS.get(group.name, ("Nodarbība",))
            hours = 2
        else:
            topics = v.topics_for(group.subject, group.grade)
            hours = group.hours
        state = self.topic_state.get(group.group_id)
        if state is None or state[2] >= state[1]:
            mean = max(1.0, _WEEKS * hours / len(topics))
            length = rng.randint(max(1, round(mean * 0.6)), max(1, round(mean * 1.4)))
            state = [0 if state is None else state[0] + 1, length, 0]
            self.topic_state[group.group_id] = state
        base = topics[state[0] % len(topics)]
        text = base if state[2] == 0 else rng.choice(v.TOPIC_VARIANTS).format(base)
        state[2] += 1
        return base, text

    def _homework(
        self, group: Group, day: date, group_days: Mapping[tuple[int, int], set[int]]
    ) -> tuple[str | None, date | None]:
        rng = self.ctx.rng
        if group.subject is None:
            return None, None
        chance = 0.08 if group.subject in v.LITTLE_HOMEWORK else 0.5
        if rng.random() >= chance:
            return None, None
        due = self._next_lesson_day(group, day, group_days)
        if due is None:
            return None, None
        template = rng.choice(v.HOMEWORK.get(group.subject, v.HOMEWORK_DEFAULT))
        page = rng.randint(5, 120)
        text = template.format(a=page, b=page + rng.randint(1, 3), n=rng.randint(3, 8))
        return text, due

    def _next_lesson_day(
        self, group: Group, day: date, group_days: Mapping[tuple[int, int], set[int]]
    ) -> date | None:
        """The group's next lesson date (the timetable may reach past ``today``)."""
        candidate = day
        for _ in range(40):
            candidate += _DAY
            term = self.ctx.calendar.term_for(candidate)
            if (
                term is not None
                and candidate.weekday() in group_days.get((term.number, group.group_id), ())
                and self.ctx.is_school_day(candidate, group.grade)
            ):
                return candidate
        return self.ctx.calendar.next_school_day(day, group.grade)

    def _add_attendance(
        self, lesson: _Lesson, sick: Mapping[tuple[int, date], _Spell]
    ) -> set[int]:
        """Rows for absent and late pupils; returns who was absent (even when not recorded)."""
        absentees: set[int] = set()
        if lesson.starts_at > self.ctx.now:
            return absentees
        rng = self.ctx.rng
        for pupil_id in lesson.group.pupils:
            spell = sick.get((pupil_id, lesson.on))
            code = "n"
            if spell is None:
                if lesson.taken_at is None:
                    continue
                r = rng.random()
                if r < 0.004:
                    spell = self._spell(lesson.on, v.OTHER_REASONS)
                elif r < 0.014:
                    spell = self._spell(lesson.on, v.OTHER_REASONS, late=True)
                    code = "k"
                else:
                    continue
            if code == "n":
                absentees.add(pupil_id)
            if lesson.taken_at is None:
                continue
            recorded = lesson.taken_at
            updated = recorded
            if spell.justification != Justification.PENDING.value:
                updated = self.ctx.clip(recorded + timedelta(days=rng.randint(1, 4)))
            self.ctx.rows("attendance").append(
                {
                    "id": self.ctx.ids.take("attendance"),
                    "school_id": self.ctx.school_id,
                    "lesson_id": lesson.lesson_id,
                    "pupil_id": pupil_id,
                    "on_date": lesson.on,
                    "code": code,
                    "justification": spell.justification,
                    "reason": spell.reason,
                    "absence_note_id": None,
                    "recorded_by": lesson.teacher_id,
                    "recorded_at": recorded,
                    "updated_at": updated,
                }
            )
        return absentees

    # ----------------------------------------------------------------------------- marks

    def _add_marks(self, lessons: list[_Lesson], absent: Mapping[int, set[int]]) -> None:
        """Summative work every 2-3 weeks, formative in between, a rare diagnostic test."""
        rng = self.ctx.rng
        by_group: dict[int, list[_Lesson]] = {}
        for lesson in lessons:
            if lesson.starts_at <= self.ctx.now:
                by_group.setdefault(lesson.group.group_id, []).append(lesson)
        start = self.ctx.calendar.starts_on
        for group in self.groups:
            if group.subject is None:
                continue
            scale = self.policy.scale_for(group.grade, group.subject)
            next_summative = start + timedelta(days=rng.randint(14, 21))
            next_formative = start + timedelta(days=rng.randint(5, 10))
            diagnostic: date | None = None
            if group.subject in ("LV", "MAT", "ANG") and rng.random() < 0.3:
                diagnostic = start + timedelta(days=7)
            for lesson in by_group.get(group.group_id, ()):
                if diagnostic is not None and lesson.on >= diagnostic:
                    kind, diagnostic = MarkKind.DIAGNOSTIC, None
                elif lesson.on >= next_summative:
                    kind = MarkKind.SUMMATIVE
                    next_summative = lesson.on + timedelta(days=rng.randint(14, 21))
                    next_formative = max(next_formative, lesson.on + timedelta(days=3))
                elif lesson.on >= next_formative:
                    kind = MarkKind.FORMATIVE
                    next_formative = lesson.on + timedelta(days=rng.randint(5, 10))
                else:
                    continue
                self._add_assessment(
                    group, lesson, kind, scale, absent.get(lesson.lesson_id, set())
                )

    def _add_assessment(
        self, group: Group, lesson: _Lesson, kind: MarkKind, scale: MarkScale, absent: set[int]
    ) -> None:
        rng = self.ctx.rng
        topic = lesson.topic_base
        if kind is MarkKind.DIAGNOSTIC:
            title = v.DIAGNOSTIC_TITLE
        elif kind is MarkKind.SUMMATIVE:
            title = f"{rng.choice(v.SUMMATIVE_TITLES)}: {topic}"
        else:
            title = rng.choice(v.FORMATIVE_TITLES)
            if rng.random() < 0.5:
                title = f"{title}: {topic}"
        assessment_id = self.ctx.ids.take("assessments")
        planned = lesson.starts_at - timedelta(
            days=rng.randint(0, 7) if kind is MarkKind.SUMMATIVE else 0
        )
        self.ctx.rows("assessments").append(
            {
                "id": assessment_id,
                "school_id": self.ctx.school_id,
                "group_id": group.group_id,
                "lesson_id": lesson.lesson_id,
                "on_date": lesson.on,
                "title": title[:200],
                "kind": kind.value,
                "scale": scale.value,
                "created_by": lesson.teacher_id,
                "created_at": self.ctx.clip(planned),
            }
        )
        recorded = self.ctx.clip(lesson.ends_at + timedelta(minutes=rng.randint(10, 48 * 60)))
        difficulty = rng.gauss(0, 0.5)
        counted = kind is not MarkKind.FORMATIVE
        subject = group.subject or ""
        for pupil_id in group.pupils:
            value: str | None
            if pupil_id in absent:
                if not counted or rng.random() < 0.15:
                    continue
                value = None
            elif counted and rng.random() < 0.02:
                value = None
            else:
                value = self._mark_value(pupil_id, subject, scale, difficulty)
            history = self._mark_history(
                pupil_id,
                subject=subject,
                scale=scale,
                value=value,
                recorded=recorded,
                on=lesson.on,
                counted=counted,
            )
            self._add_mark(assessment_id, lesson, pupil_id, history)

    def _mark_value(self, pupil_id: int, subject: str, scale: MarkScale, difficulty: float) -> str:
        """A mark around the pupil's ability in the subject."""
        key = (pupil_id, subject)
        offset = self.subject_offsets.get(key)
        if offset is None:
            offset = self.subject_offsets[key] = self.ctx.rng.gauss(0, 0.7)
        score = self.pupils[pupil_id].ability + offset + difficulty + self.ctx.rng.gauss(0, 1.0)
        if scale is MarkScale.LEVELS:
            return _LEVELS[0 if score < 4 else 1 if score < 6 else 2 if score < 8.3 else 3]
        return _TEN[min(10, max(1, round(score))) - 1]

    def _mark_history(
        self,
        pupil_id: int,
        *,
        subject: str,
        scale: MarkScale,
        value: str | None,
        recorded: datetime,
        on: date,
        counted: bool,
    ) -> list[tuple[str | None, str | None, datetime]]:
        """``(value, comment, changed_at)`` per revision; a None value is "nv"."""
        rng = self.ctx.rng
        if value is None:
            if counted and (self.ctx.today - on).days >= 10 and rng.random() < 0.6:
                later = self.ctx.clip(recorded + timedelta(days=rng.randint(5, 12)))
                made_up = self._mark_value(pupil_id, subject, scale, 0.0)
                return [(None, None, recorded), (made_up, v.MAKEUP_COMMENT, later)]
            return [(None, None, recorded)]
        if rng.random() < 0.006:
            values = _LEVELS if scale is MarkScale.LEVELS else _TEN
            index = values.index(value)
            wrong = values[index + 1] if index + 1 < len(values) else values[index - 1]
            later = self.ctx.clip(recorded + timedelta(hours=rng.randint(1, 72)))
            return [(wrong, None, recorded), (value, v.CORRECTION_COMMENT, later)]
        comment = rng.choice(v.MARK_COMMENTS) if rng.random() < 0.03 else None
        return [(value, comment, recorded)]

    def _add_mark(
        self,
        assessment_id: int,
        lesson: _Lesson,
        pupil_id: int,
        history: list[tuple[str | None, str | None, datetime]],
    ) -> None:
        mark_id = self.ctx.ids.take("marks")
        value, comment, changed_at = history[-1]
        self.ctx.rows("marks").append(
            {
                "id": mark_id,
                "school_id": self.ctx.school_id,
                "assessment_id": assessment_id,
                "pupil_id": pupil_id,
                "on_date": lesson.on,
                "status": _status(value),
                "value": value,
                "comment": comment,
                "recorded_by": lesson.teacher_id,
                "recorded_at": changed_at,
                "revision": len(history),
            }
        )
        for revision, (old_value, old_comment, at) in enumerate(history, start=1):
            self.ctx.rows("mark_revisions").append(
                {
                    "id": self.ctx.ids.take("mark_revisions"),
                    "mark_id": mark_id,
                    "revision": revision,
                    "status": _status(old_value),
                    "value": old_value,
                    "comment": old_comment,
                    "changed_by": lesson.teacher_id,
                    "changed_at": at,
                }
            )

    # ------------------------------------------------------------------------------ news

    def _add_news(self) -> None:
        """A few school news posts published up to ``today``."""
        calendar = self.ctx.calendar
        starts = calendar.starts_on
        autumn = next((o for o in calendar.days_off if o.name == "Rudens brīvdienas"), None)
        winter = next((o for o in calendar.days_off if o.name == "Ziemas brīvdienas"), None)
        posts: list[tuple[date, int, str, str]] = [
            (
                starts - timedelta(days=3),
                self.roster.director,
                "Sveicam jaunajā mācību gadā!",
                f"Mācību gads sākas {_day(starts)} plkst. 9.00 ar svinīgo līniju skolas "
                "pagalmā. Pēc līnijas klases dodas uz klases stundu pie audzinātājiem.",
            ),
            (
                starts - timedelta(days=2),
                self.roster.deputy,
                "Mācību gada kalendārs",
                "Brīvdienas šajā mācību gadā: "
                + "; ".join(
                    f"{o.name.lower()} {_day(o.starts_on)}–{_day(o.ends_on)}"
                    for o in sorted(calendar.days_off, key=lambda o: o.starts_on)
                    if o.grades is None and o.starts_on != o.ends_on
                ),
            ),
            (
                starts + timedelta(days=15),
                self.roster.director,
                "Vecāku sapulces",
                "Klašu vecāku sapulces notiks nākamnedēļ plkst. 18.00 klašu telpās. "
                "Aicinām piedalīties!",
            ),
        ]
        if autumn is not None:
            posts.append(
                (
                    autumn.starts_on - timedelta(days=4),
                    self.roster.deputy,
                    "Rudens brīvdienas",
                    f"Rudens brīvdienas būs no {_day(autumn.starts_on)} līdz "
                    f"{_day(autumn.ends_on)}, mācības atsāksies pirmdien pēc parastā stundu "
                    "saraksta.",
                )
            )
        if winter is not None:
            posts.append(
                (
                    winter.starts_on - timedelta(days=5),
                    self.roster.director,
                    "Ziemassvētku koncerts",
                    "Aicinām uz skolas Ziemassvētku koncertu aktu zālē. Piedalās koris un "
                    "sākumskolas klases.",
                )
            )
        for day, author, title, body in sorted(posts, key=lambda p: p[0]):
            published = self.ctx.at(day, time(9, 0))
            if published > self.ctx.now:
                continue
            self.ctx.rows("news_posts").append(
                {
                    "id": self.ctx.ids.take("news_posts"),
                    "school_id": self.ctx.school_id,
                    "author_id": author,
                    "kind": "news",
                    "title": title,
                    "body": body,
                    "file_id": None,
                    "created_at": published - timedelta(minutes=self.ctx.rng.randint(10, 90)),
                    "published_at": published,
                }
            )


def _status(value: str | None) -> str:
    return (MarkStatus.NV if value is None else MarkStatus.MARK).value


def _day(day: date) -> str:
    return f"{day.day}.{day.month:02d}."
