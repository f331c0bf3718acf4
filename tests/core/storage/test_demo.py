"""The demo-school generator: size, determinism, scales, a clash-free timetable, the calendar."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.calendar import latvian_calendar
from core.storage import tables as t
from core.storage.database import create_engine, create_session_factory, upgrade
from core.storage.demo import seed_demo

pytestmark = pytest.mark.db

TODAY = date(2026, 11, 27)  # a Friday in the first semester of 2026/2027
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 10:00 in Riga: periods 1-2 are over
SMALL: dict[str, Any] = {"classes_per_grade": 1, "pupils_per_class": 6}
T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run set-up in its own thread: a module fixture may be set up inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _seed(path: Path, **kwargs: Any) -> dict[str, int]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        async with create_session_factory(engine)() as session:
            counts = await seed_demo(session, today=TODAY, now=NOW, **kwargs)
            await session.commit()
    finally:
        await engine.dispose()
    return counts


@asynccontextmanager
async def _open(path: Path) -> AsyncIterator[AsyncSession]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def _rows(session: AsyncSession, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in (await session.execute(text(sql))).all()]


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """One default-size demo school (seed 1), seeded once for the module."""
    path = tmp_path_factory.mktemp("demo") / "t.sqlite3"
    return path, _run(_seed(path))


# ------------------------------------------------------------------------------ size


async def test_default_size_is_a_realistic_school(school: tuple[Path, dict[str, int]]) -> None:
    path, counts = school
    async with _open(path) as s:
        staff = await s.scalar(select(func.count(func.distinct(t.StaffRole.person_id))))
        guardians = await s.scalar(select(func.count(func.distinct(t.Guardianship.guardian_id))))
        days = await s.scalar(select(func.count(func.distinct(t.Lesson.on_date))))
        for model in (t.ClassGroup, t.Enrolment, t.Lesson, t.Mark, t.Attendance):
            stored = await s.scalar(select(func.count()).select_from(model))
            assert stored == counts[model.__tablename__]
    assert counts["schools"] == 1
    assert counts["classes"] >= 18
    assert counts["enrolments"] >= 350
    assert guardians is not None
    assert guardians >= 500
    assert staff is not None
    assert 30 <= staff <= 40
    assert days is not None
    assert days >= 20  # September to late November, minus holidays
    assert counts["lessons"] >= 20 * 18 * 4
    assert counts["marks"] > 0
    assert counts["mark_revisions"] >= counts["marks"]
    assert counts["attendance"] > 0
    assert counts["news_posts"] >= 2
    assert counts["bell_schedules"] == 2


async def test_school_year_frame(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        row = (await s.execute(select(t.School))).scalar_one()
        year = (await s.execute(select(t.SchoolYear))).scalar_one()
        terms = (await s.scalars(select(t.Term).order_by(t.Term.number))).all()
        bells = (await s.scalars(select(t.BellSchedule).order_by(t.BellSchedule.id))).all()
        grades = await s.scalars(select(t.DayOff.grades).where(t.DayOff.grades.is_not(None)))
        assert list(grades) == ["1"]
    assert row.code == "demo1"
    assert row.name.endswith("pamatskola")
    assert (row.time_zone, row.locale, row.policy) == ("Europe/Riga", "lv", {})
    assert year.name == "2026/2027"
    assert year.starts_on == date(2026, 9, 1)
    assert year.school_weekdays == "0,1,2,3,4"
    assert year.end_by_grade["9"] == year.ends_on.isoformat()
    assert year.end_by_grade["1"] == "2027-05-28"
    assert [term.number for term in terms] == [1, 2]
    assert [(b.name, b.is_default) for b in bells] == [
        ("Parastais", True),
        ("Saīsinātās stundas", False),
    ]


# ----------------------------------------------------------------------- determinism


async def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    async with _open(path) as s:
        return {
            "persons": await _rows(
                s, "SELECT id, given_name, family_name, birth_date, phone FROM persons ORDER BY id"
            ),
            "marks": await _rows(
                s, "SELECT id, pupil_id, on_date, status, value FROM marks ORDER BY id"
            ),
            "lessons": await _rows(
                s, "SELECT id, group_id, on_date, period, topic, homework FROM lessons ORDER BY id"
            ),
            "attendance": await _rows(
                s, "SELECT lesson_id, pupil_id, code, justification FROM attendance ORDER BY id"
            ),
            "slots": await _rows(
                s,
                "SELECT term_id, weekday, period, group_id, teacher_id, room "
                "FROM timetable_slots ORDER BY id",
            ),
        }


async def test_same_seed_gives_identical_rows(tmp_path: Path) -> None:
    first = await _seed(tmp_path / "a.sqlite3", seed=7, **SMALL)
    second = await _seed(tmp_path / "b.sqlite3", seed=7, **SMALL)
    assert first == second
    assert await _dump(tmp_path / "a.sqlite3") == await _dump(tmp_path / "b.sqlite3")


async def test_another_seed_gives_other_people(tmp_path: Path) -> None:
    await _seed(tmp_path / "a.sqlite3", seed=1, **SMALL)
    await _seed(tmp_path / "b.sqlite3", seed=2, **SMALL)
    names_a = [row[1:3] for row in (await _dump(tmp_path / "a.sqlite3"))["persons"]]
    names_b = [row[1:3] for row in (await _dump(tmp_path / "b.sqlite3"))["persons"]]
    assert names_a != names_b


# ----------------------------------------------------------------------------- people


async def test_people_are_plausible(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        pupils = (
            await s.execute(
                select(t.Person.birth_date, t.ClassGroup.grade, t.Person.personal_code)
                .join(t.Enrolment, t.Enrolment.pupil_id == t.Person.id)
                .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
            )
        ).all()
        phones = await _rows(s, "SELECT phone FROM persons WHERE phone IS NOT NULL")
        keys = await _rows(
            s, "SELECT substr(external_key, 1, 1), count(*) FROM person_keys GROUP BY 1"
        )
        names = await _rows(s, "SELECT given_name || ' ' || family_name FROM persons")
    for birth, grade, personal_code in pupils:
        assert birth is not None
        age = TODAY.year - birth.year
        assert grade + 5 <= age <= grade + 8
        assert personal_code is None
    assert all(p.startswith("+3712") and len(p) == 12 for (p,) in phones)
    assert len({p for (p,) in phones}) == len(phones)
    assert {prefix for prefix, _ in keys} == {"P", "G", "S"}
    assert any(ch in "āčēģīķļņšūž" for (name,) in names for ch in name)


async def test_every_pupil_has_guardians_with_gendered_names(
    school: tuple[Path, dict[str, int]],
) -> None:
    path, _ = school
    async with _open(path) as s:
        orphans = await _rows(
            s,
            "SELECT e.pupil_id FROM enrolments e WHERE NOT EXISTS "
            "(SELECT 1 FROM guardianships g WHERE g.pupil_id = e.pupil_id)",
        )
        parents = await _rows(
            s,
            "SELECT g.relation, p.family_name FROM guardianships g "
            "JOIN persons p ON p.id = g.guardian_id",
        )
        siblings = await _rows(
            s,
            "SELECT g.guardian_id, count(DISTINCT c.grade) FROM guardianships g "
            "JOIN enrolments e ON e.pupil_id = g.pupil_id JOIN classes c ON c.id = e.class_id "
            "GROUP BY g.guardian_id HAVING count(*) > 1",
        )
    assert orphans == []
    relations = Counter(relation for relation, _ in parents)
    assert relations["mother"] > 0
    assert relations["father"] > 0
    fathers = [name for relation, name in parents if relation == "father"]
    assert sum(name.endswith(("š", "s")) for name in fathers) > len(fathers) * 0.7
    mothers = [name for relation, name in parents if relation == "mother"]
    assert sum(name.endswith(("a", "e")) for name in mothers) > len(mothers) * 0.9
    assert siblings
    assert all(grades == 2 for _, grades in siblings)


async def test_roles_and_class_teachers(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        roles = Counter(role for (role,) in await _rows(s, "SELECT role FROM staff_roles"))
        not_teaching = await _rows(
            s,
            "SELECT c.name FROM classes c WHERE c.class_teacher_id IS NULL OR NOT EXISTS ("
            " SELECT 1 FROM group_teachers gt JOIN group_classes gc ON gc.group_id = gt.group_id"
            " WHERE gc.class_id = c.id AND gt.teacher_id = c.class_teacher_id)",
        )
        deputy_teaches = await _rows(
            s,
            "SELECT count(*) FROM group_teachers gt JOIN staff_roles r "
            "ON r.person_id = gt.teacher_id AND r.role = 'deputy_director'",
        )
    assert roles["director"] == 1
    assert roles["deputy_director"] == 1
    assert roles["interest_teacher"] == 2
    assert roles["teacher"] >= 28
    assert not_teaching == []
    assert deputy_teaches[0][0] >= 1


# ----------------------------------------------------------------------------- groups


async def test_combined_language_groups_draw_from_two_classes(
    school: tuple[Path, dict[str, int]],
) -> None:
    path, _ = school
    async with _open(path) as s:
        combined = await _rows(
            s,
            "SELECT g.id, g.grade, s.short_name, count(DISTINCT gc.class_id)"
            " FROM teaching_groups g JOIN subjects s ON s.id = g.subject_id"
            " JOIN group_classes gc ON gc.group_id = g.id"
            " WHERE g.kind = 'combined' GROUP BY g.id",
        )
        member_classes = await _rows(
            s,
            "SELECT m.group_id, count(DISTINCT e.class_id) FROM group_members m"
            " JOIN teaching_groups g ON g.id = m.group_id AND g.kind = 'combined'"
            " JOIN enrolments e ON e.pupil_id = m.pupil_id GROUP BY m.group_id",
        )
        choices = await _rows(
            s,
            "SELECT m.pupil_id, count(*) FROM group_members m JOIN teaching_groups g"
            " ON g.id = m.group_id JOIN subjects s ON s.id = g.subject_id"
            " WHERE s.short_name IN ('KRV', 'VAC') GROUP BY m.pupil_id",
        )
        grade_6_up = await s.scalar(
            text(
                "SELECT count(*) FROM enrolments e JOIN classes c ON c.id = e.class_id "
                "WHERE c.grade >= 6"
            )
        )
    assert {grade for _, grade, _, _ in combined} == {6, 7, 8, 9}
    assert {subject for _, _, subject, _ in combined} == {"KRV", "VAC"}
    assert all(classes == 2 for _, _, _, classes in combined)
    assert all(classes == 2 for _, classes in member_classes)
    assert all(n == 1 for _, n in choices)  # one second language per pupil
    assert len(choices) == grade_6_up


async def test_group_kinds(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        kinds = await _rows(
            s, "SELECT kind, min(grade), max(grade), count(*) FROM teaching_groups GROUP BY kind"
        )
        interest = await _rows(
            s,
            "SELECT g.name, g.subject_id, count(DISTINCT c.grade) FROM teaching_groups g"
            " JOIN group_members m ON m.group_id = g.id"
            " JOIN enrolments e ON e.pupil_id = m.pupil_id"
            " JOIN classes c ON c.id = e.class_id WHERE g.kind = 'interest' GROUP BY g.id",
        )
        subjects_per_class = await _rows(
            s,
            "SELECT gc.class_id, count(DISTINCT g.subject_id) FROM group_classes gc"
            " JOIN teaching_groups g ON g.id = gc.group_id WHERE g.kind != 'interest'"
            " GROUP BY gc.class_id",
        )
    by_kind = {kind: (low, high, n) for kind, low, high, n in kinds}
    assert set(by_kind) == {"class", "combined", "part", "interest"}
    assert by_kind["part"][:2] == (7, 9)  # sports split into boys and girls
    assert len(interest) == 2
    assert all(subject is None for _, subject, _ in interest)
    assert all(grades > 1 for _, _, grades in interest)
    assert all(8 <= n <= 13 for _, n in subjects_per_class)


# -------------------------------------------------------------------------- timetable


async def test_nobody_is_in_two_places_at_once(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        teachers = await _rows(
            s,
            "SELECT term_id, weekday, period, teacher_id FROM timetable_slots "
            "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1",
        )
        pupils = await _rows(
            s,
            "SELECT s.term_id, s.weekday, s.period, m.pupil_id FROM timetable_slots s "
            "JOIN group_members m ON m.group_id = s.group_id "
            "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1",
        )
        lessons = await _rows(
            s,
            "SELECT teacher_id, on_date, period FROM lessons GROUP BY 1, 2, 3 HAVING count(*) > 1",
        )
        slots = await _rows(
            s,
            "SELECT s.term_id, gc.class_id, s.weekday, s.period, g.kind, s.week, s.room "
            "FROM timetable_slots s JOIN teaching_groups g ON g.id = s.group_id "
            "JOIN group_classes gc ON gc.group_id = g.id",
        )
        grades = dict(await _rows(s, "SELECT id, grade FROM classes"))
    assert teachers == []
    assert pupils == []
    assert lessons == []
    daily: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for term, class_id, weekday, period, kind, week, room in slots:
        assert 0 <= weekday <= 4
        assert period >= 1
        assert week is None
        assert room
        if kind != "interest":
            daily[(term, class_id, weekday)].add(period)
    for (_, class_id, _), periods in daily.items():
        assert periods == set(range(1, len(periods) + 1))  # no gaps, from period 1
        low, high = {1: (4, 5), 2: (5, 6), 3: (6, 7)}[(grades[class_id] + 2) // 3]
        assert low <= len(periods) <= high


async def test_lessons_only_on_school_days_up_to_today(
    school: tuple[Path, dict[str, int]],
) -> None:
    path, _ = school
    calendar = latvian_calendar(2026)
    async with _open(path) as s:
        lessons = (
            await s.execute(
                select(t.Lesson.on_date, t.TeachingGroup.grade)
                .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
                .distinct()
            )
        ).all()
        today = (
            await s.execute(
                select(t.Lesson.period, t.Lesson.topic, t.Lesson.attendance_taken_at).where(
                    t.Lesson.on_date == TODAY
                )
            )
        ).all()
    dates = {d for d, _ in lessons}
    assert min(dates) == date(2026, 9, 1)
    assert max(dates) == TODAY
    assert date(2026, 11, 18) not in dates  # proclamation day
    assert not dates & {date(2026, 10, 19) + timedelta(days=n) for n in range(5)}  # autumn break
    assert all(calendar.is_school_day(d, grade) for d, grade in lessons)
    later = [(topic, taken) for period, topic, taken in today if period >= 3]
    assert later
    assert all(pair == (None, None) for pair in later)  # 10:00 in Riga: not held yet
    assert any(topic is not None for period, topic, _ in today if period == 1)


# ------------------------------------------------------------------------------ marks


async def test_marks_follow_the_scales(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        marks = await _rows(
            s,
            "SELECT g.grade, a.kind, a.scale, m.status, m.value FROM marks m "
            "JOIN assessments a ON a.id = m.assessment_id "
            "JOIN teaching_groups g ON g.id = a.group_id",
        )
    levels = {"S", "T", "A", "P"}
    ten = {str(n) for n in range(1, 11)}
    for grade, _, scale, status, value in marks:
        assert (status == "nv") == (value is None)
        if grade <= 3:
            assert scale == "levels"
            assert value is None or value in levels
        else:
            assert scale == "ten_point"
            assert value is None or value in ten
    grade_2 = [value for grade, _, _, _, value in marks if grade == 2]
    grade_7 = [value for grade, _, _, _, value in marks if grade == 7]
    assert grade_2
    assert set(grade_2) <= levels | {None}
    assert grade_7
    assert set(grade_7) <= ten | {None}
    points = Counter(int(value) for value in grade_7 if value is not None)
    assert sum(points[n] for n in range(5, 10)) > 0.7 * sum(points.values())
    kinds = Counter(kind for _, kind, _, _, _ in marks)
    assert kinds["formative"] > kinds["summative"] > kinds["diagnostic"] > 0
    nv_share = sum(status == "nv" for _, kind, _, status, _ in marks if kind == "summative")
    assert 0 < nv_share < 0.06 * kinds["summative"]


async def test_every_mark_has_its_revision_history(school: tuple[Path, dict[str, int]]) -> None:
    path, _ = school
    async with _open(path) as s:
        broken = await _rows(
            s,
            "SELECT m.id FROM marks m JOIN mark_revisions r ON r.mark_id = m.id "
            "GROUP BY m.id HAVING count(*) != m.revision OR max(r.revision) != m.revision",
        )
        last = await _rows(
            s,
            "SELECT count(*) FROM marks m JOIN mark_revisions r ON r.mark_id = m.id "
            "AND r.revision = m.revision WHERE r.status != m.status "
            "OR coalesce(r.value, '') != coalesce(m.value, '') OR r.changed_by != m.recorded_by",
        )
        corrected = await s.scalar(select(func.count()).where(t.Mark.revision > 1))
        outside = await _rows(
            s,
            "SELECT count(*) FROM marks m JOIN assessments a ON a.id = m.assessment_id "
            "WHERE NOT EXISTS (SELECT 1 FROM group_members gm "
            "WHERE gm.group_id = a.group_id AND gm.pupil_id = m.pupil_id) "
            "OR m.on_date != a.on_date",
        )
    assert broken == []
    assert last == [(0,)]
    assert corrected
    assert outside == [(0,)]


# --------------------------------------------------------------------------- attendance


async def test_attendance_is_sparse_and_mostly_whole_days(
    school: tuple[Path, dict[str, int]],
) -> None:
    path, _ = school
    async with _open(path) as s:
        taken = await s.scalar(
            text(
                "SELECT count(*) FROM lessons l JOIN group_members m ON m.group_id = l.group_id "
                "WHERE l.attendance_taken_at IS NOT NULL"
            )
        )
        codes = dict(await _rows(s, "SELECT code, count(*) FROM attendance GROUP BY code"))
        recent = await _rows(
            s,
            "SELECT justification, count(*) FROM attendance "
            "WHERE code = 'n' AND on_date >= '2026-11-23' GROUP BY 1",
        )
        old = await _rows(
            s,
            "SELECT justification, count(*) FROM attendance "
            "WHERE code = 'n' AND on_date < '2026-11-01' GROUP BY 1",
        )
        whole_days = await s.scalar(
            text(
                "SELECT count(*) FROM (SELECT pupil_id, on_date FROM attendance "
                "WHERE code = 'n' GROUP BY 1, 2 HAVING count(*) >= 4)"
            )
        )
        mismatched = await _rows(
            s,
            "SELECT count(*) FROM attendance a JOIN lessons l ON l.id = a.lesson_id "
            "WHERE a.on_date != l.on_date OR a.recorded_by != l.teacher_id "
            "OR l.attendance_taken_at IS NULL",
        )
    assert taken
    assert 0.035 < codes["n"] / taken < 0.07
    assert 0.005 < codes["k"] / taken < 0.02
    assert dict(old)["justified"] > 0.7 * sum(n for _, n in old)
    assert dict(recent).get("pending", 0) > dict(recent).get("justified", 0)
    assert whole_days is not None
    assert whole_days > 50
    assert mismatched == [(0,)]


# ------------------------------------------------------------------- more schools, errors


async def test_a_second_school_in_the_same_database(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    first = await _seed(path, **SMALL)
    second = await _seed(path, **SMALL)
    async with _open(path) as s:
        schools = await _rows(s, "SELECT id, code, name FROM schools ORDER BY id")
        per_school = await _rows(
            s, "SELECT school_id, count(*) FROM lessons GROUP BY school_id ORDER BY 1"
        )
        persons = await s.scalar(select(func.count()).select_from(t.Person))
        phones = await _rows(
            s,
            "SELECT phone FROM persons WHERE phone IS NOT NULL GROUP BY phone HAVING count(*) > 1",
        )
    assert [code for _, code, _ in schools] == ["demo1", "demo2"]
    assert schools[0][2] != schools[1][2]
    assert [n for _, n in per_school] == [first["lessons"], second["lessons"]]
    assert persons == first["persons"] + second["persons"]
    assert phones == []


async def test_several_schools_at_once(tmp_path: Path) -> None:
    counts = await _seed(tmp_path / "t.sqlite3", schools=2, **SMALL)
    async with _open(tmp_path / "t.sqlite3") as s:
        codes = await _rows(s, "SELECT code FROM schools ORDER BY code")
    assert counts["schools"] == 2
    assert codes == [("demo1",), ("demo2",)]


async def test_rejects_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        async with create_session_factory(engine)() as session:
            with pytest.raises(ValueError, match="timezone"):
                await seed_demo(session, today=TODAY, now=NOW.replace(tzinfo=None))
            with pytest.raises(ValueError, match="classes per grade"):
                await seed_demo(session, today=TODAY, now=NOW, classes_per_grade=0)
            with pytest.raises(ValueError, match="schools"):
                await seed_demo(session, today=TODAY, now=NOW, schools=0)
    finally:
        await engine.dispose()


# ------------------------------------------------------ both backends: ids and sequences


async def test_seeding_twice_leaves_ids_usable_for_ordinary_writes(core: Any) -> None:
    """Explicit ids must not collide with later ordinary inserts (PostgreSQL sequences)."""
    from core.domain.access import Viewer
    from core.services.schools import create_school
    from core.services.schools import seed_demo as seed_service

    for _ in range(2):
        written = await seed_service(
            core.uow(),
            Viewer.console(),
            seed=3,
            classes_per_grade=1,
            pupils_per_class=4,
            zone=latvian_zone(),
            today=TODAY,
        )
        assert written["schools"] == 1
    school = await create_school(core.uow(), Viewer.console(), code="rvs", name="Rīgas skola")
    async with create_session_factory(core.engine)() as session:
        codes = [row[0] for row in await _rows(session, "SELECT code FROM schools ORDER BY id")]
        assert codes == ["demo1", "demo2", "rvs"]
        assert school.id == max(await session.scalars(select(t.School.id)))


def latvian_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Riga")
