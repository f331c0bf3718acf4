"""Owns the demo school's people and structure: year, staff, pupils, families, groups, timetable.

Package-internal; fills the rows of a ``Context`` and returns the ``Roster`` the journal needs.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta

from core.domain.calendar import BellSchedule, shortened_bells, standard_bells
from core.domain.people import GuardianRelation, StaffRole
from core.storage.demo import vocabulary as v
from core.storage.demo.model import (
    LAST_GRADE,
    ZONE,
    Context,
    Group,
    Pupil,
    Roster,
    SchoolClass,
    Slots,
    Teacher,
)
from core.storage.demo.timetable import Cell, Unit, daily_counts, solve

_TEACHER_HOURS = 22  # a subject teacher's target weekly load
_DEPUTY_HOURS = 3  # the deputy director teaches about this much
_SIBLING_SHARE = 0.11  # share of families with a second child in the school
_DEFAULT_PUPILS = (20, 25)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch.isalnum())


def _letter(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index]


class SchoolBuilder:
    """Writes a school's year, people, groups and timetable into ``ctx``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.key_counters: dict[str, int] = {}
        self.subject_ids: dict[str, int] = {}
        self.classes: list[SchoolClass] = []
        self.pupils: dict[int, Pupil] = {}
        self.teachers: list[Teacher] = []
        self.groups: list[Group] = []
        self.interest_cells: dict[int, tuple[Cell, ...]] = {}
        self.director = 0
        self.deputy = 0
        self.deputy_index = -1

    def build(self, name: str, classes_per_grade: int, pupils_per_class: int | None) -> Roster:
        """Everything but the journal; returns what the journal is generated from."""
        self._add_school(name)
        self._add_subjects()
        self._add_management()
        self._add_classes(classes_per_grade)
        self._add_pupils(pupils_per_class)
        self._add_groups()
        self._assign_teachers()
        self._add_staff_and_groups()
        slots = self._add_timetable()
        return Roster(self.pupils, self.groups, slots, self.director, self.deputy)

    # ---------------------------------------------------------------------------- people

    def _phone(self) -> str:
        while True:
            candidate = f"+3712{self.ctx.rng.randrange(10**7):07d}"
            if candidate not in self.ctx.used_phones:
                self.ctx.used_phones.add(candidate)
                return candidate

    def _birth_date(self, year: int) -> date:
        return date(year, 1, 1) + timedelta(days=self.ctx.rng.randrange(365))

    def _person(
        self,
        given: str,
        family: str,
        born: date,
        *,
        phone: str | None = None,
        email: str | None = None,
    ) -> int:
        person_id = self.ctx.ids.take("persons")
        self.ctx.rows("persons").append(
            {
                "id": person_id,
                "given_name": given,
                "family_name": family,
                "personal_code": None,
                "birth_date": born,
                "phone": phone,
                "email": email,
                "is_active": True,
                "created_at": self.ctx.now,
                "updated_at": self.ctx.now,
            }
        )
        return person_id

    def _person_key(self, prefix: str, person_id: int) -> None:
        number = self.key_counters.get(prefix, 0) + 1
        self.key_counters[prefix] = number
        self.ctx.rows("person_keys").append(
            {
                "id": self.ctx.ids.take("person_keys"),
                "school_id": self.ctx.school_id,
                "external_key": f"{prefix}{number:06d}",
                "person_id": person_id,
            }
        )

    def _staff_role(self, person_id: int, role: StaffRole) -> None:
        self.ctx.rows("staff_roles").append(
            {
                "id": self.ctx.ids.take("staff_roles"),
                "school_id": self.ctx.school_id,
                "person_id": person_id,
                "role": role.value,
                "is_active": True,
            }
        )

    def _adult(self, male: bool, born_year: int, *, staff: bool = False) -> int:
        given = self.ctx.rng.choice(v.MEN_NAMES if male else v.WOMEN_NAMES)
        pair = self.ctx.rng.choice(v.FAMILY_NAMES)
        family = pair[0] if male else pair[1]
        email = None
        if staff:
            email = f"{_fold(given)}.{_fold(family)}@{self.ctx.code}.skola.example"
        return self._person(
            given, family, self._birth_date(born_year), phone=self._phone(), email=email
        )

    def _add_school(self, name: str) -> None:
        self.ctx.school_id = self.ctx.ids.take("schools")
        self.ctx.rows("schools").append(
            {
                "id": self.ctx.school_id,
                "code": self.ctx.code,
                "name": name,
                "time_zone": ZONE,
                "locale": "lv",
                "policy": {},
                "created_at": self.ctx.now,
            }
        )
        calendar = self.ctx.calendar
        self.ctx.year_id = self.ctx.ids.take("school_years")
        self.ctx.rows("school_years").append(
            {
                "id": self.ctx.year_id,
                "school_id": self.ctx.school_id,
                "name": f"{self.ctx.start_year}/{self.ctx.start_year + 1}",
                "starts_on": calendar.starts_on,
                "ends_on": calendar.ends_on,
                "school_weekdays": ",".join(str(d) for d in sorted(calendar.school_weekdays)),
                "cycle_weeks": calendar.cycle_weeks,
                "end_by_grade": {str(g): d.isoformat() for g, d in calendar.end_by_grade},
            }
        )
        for term in calendar.terms:
            term_id = self.ctx.ids.take("terms")
            self.ctx.term_ids[term.number] = term_id
            self.ctx.rows("terms").append(
                {
                    "id": term_id,
                    "school_year_id": self.ctx.year_id,
                    "number": term.number,
                    "starts_on": term.starts_on,
                    "ends_on": term.ends_on,
                }
            )
        for off in sorted(calendar.days_off, key=lambda o: (o.starts_on, o.name)):
            self.ctx.rows("days_off").append(
                {
                    "id": self.ctx.ids.take("days_off"),
                    "school_year_id": self.ctx.year_id,
                    "starts_on": off.starts_on,
                    "ends_on": off.ends_on,
                    "name": off.name,
                    "grades": ",".join(str(g) for g in sorted(off.grades)) if off.grades else None,
                }
            )
        self._add_bells("Parastais", standard_bells(), is_default=True)
        self._add_bells("Saīsinātās stundas", shortened_bells(), is_default=False)

    def _add_bells(self, name: str, schedule: BellSchedule, *, is_default: bool) -> None:
        schedule_id = self.ctx.ids.take("bell_schedules")
        self.ctx.rows("bell_schedules").append(
            {
                "id": schedule_id,
                "school_id": self.ctx.school_id,
                "name": name,
                "is_default": is_default,
            }
        )
        for period in schedule.periods:
            self.ctx.rows("bell_periods").append(
                {
                    "id": self.ctx.ids.take("bell_periods"),
                    "bell_schedule_id": schedule_id,
                    "number": period.number,
                    "starts_at": period.starts_at,
                    "ends_at": period.ends_at,
                }
            )

    def _add_subjects(self) -> None:
        for short, title in v.SUBJECTS:
            subject_id = self.ctx.ids.take("subjects")
            self.subject_ids[short] = subject_id
            self.ctx.rows("subjects").append(
                {
                    "id": subject_id,
                    "school_id": self.ctx.school_id,
                    "name": title,
                    "short_name": short,
                }
            )

    # ---------------------------------------------------------------------------- people

    def _add_management(self) -> None:
        self.director = self._adult(
            self.ctx.rng.random() < 0.4,
            self.ctx.start_year - 45 - self.ctx.rng.randrange(15),
            staff=True,
        )
        self._person_key("S", self.director)
        self._staff_role(self.director, StaffRole.DIRECTOR)
        self.deputy = self._adult(
            self.ctx.rng.random() < 0.3,
            self.ctx.start_year - 35 - self.ctx.rng.randrange(20),
            staff=True,
        )
        self._person_key("S", self.deputy)
        self._staff_role(self.deputy, StaffRole.DEPUTY_DIRECTOR)
        self._staff_role(self.deputy, StaffRole.TEACHER)

    def _add_classes(self, per_grade: int) -> None:
        for grade in range(1, LAST_GRADE + 1):
            for index in range(per_grade):
                letter = _letter(index)
                self.classes.append(
                    SchoolClass(self.ctx.ids.take("classes"), grade, f"{grade}.{letter}")
                )

    def _add_pupils(self, per_class: int | None) -> None:
        rng = self.ctx.rng
        seats: list[SchoolClass] = []
        for cls in self.classes:
            count = per_class if per_class is not None else rng.randint(*_DEFAULT_PUPILS)
            seats.extend([cls] * count)
        rng.shuffle(seats)
        while seats:
            children = [seats.pop()]
            if rng.random() < _SIBLING_SHARE:
                for j in range(len(seats) - 1, -1, -1):
                    if seats[j].grade != children[0].grade:
                        children.append(seats.pop(j))
                        break
            self._add_family(children)
        for cls in self.classes:
            cls.pupils.sort(key=lambda p: p.person_id)
            for pupil in cls.pupils:
                self.ctx.rows("enrolments").append(
                    {
                        "id": self.ctx.ids.take("enrolments"),
                        "school_id": self.ctx.school_id,
                        "class_id": cls.class_id,
                        "pupil_id": pupil.person_id,
                        "starts_on": self.ctx.calendar.starts_on,
                        "ends_on": None,
                    }
                )

    def _add_family(self, children: list[SchoolClass]) -> None:
        rng = self.ctx.rng
        male_name, female_name = rng.choice(v.FAMILY_NAMES)
        pupil_ids: list[int] = []
        eldest_born = self.ctx.start_year
        for cls in children:
            male = rng.random() < 0.5
            given = rng.choice(v.BOY_NAMES if male else v.GIRL_NAMES)
            born_year = self.ctx.start_year - 6 - cls.grade - (1 if rng.random() < 0.04 else 0)
            eldest_born = min(eldest_born, born_year)
            person_id = self._person(
                given, male_name if male else female_name, self._birth_date(born_year)
            )
            self._person_key("P", person_id)
            pupil = Pupil(
                person_id=person_id,
                class_id=cls.class_id,
                grade=cls.grade,
                male=male,
                ability=min(9.6, max(2.5, rng.gauss(6.7, 1.3))),
                sickliness=rng.choice((0.3, 0.6, 1.0, 1.0, 1.0, 1.4, 2.2)),
                language="KRV" if rng.random() < 0.55 else "VAC",
            )
            cls.pupils.append(pupil)
            self.pupils[person_id] = pupil
            pupil_ids.append(person_id)
        shape = rng.random()
        guardians: list[tuple[int, GuardianRelation]] = []
        if shape < 0.93:
            family = female_name if rng.random() < 0.92 else rng.choice(v.FAMILY_NAMES)[1]
            mother = self._person(
                rng.choice(v.WOMEN_NAMES),
                family,
                self._birth_date(eldest_born - rng.randint(22, 38)),
                phone=self._phone(),
            )
            guardians.append((mother, GuardianRelation.MOTHER))
        if shape < 0.80 or 0.93 <= shape < 0.97:
            father = self._person(
                rng.choice(v.MEN_NAMES),
                male_name,
                self._birth_date(eldest_born - rng.randint(24, 42)),
                phone=self._phone(),
            )
            guardians.append((father, GuardianRelation.FATHER))
        if shape >= 0.97:
            grandmother = self._person(
                rng.choice(v.WOMEN_NAMES),
                female_name,
                self._birth_date(eldest_born - rng.randint(45, 60)),
                phone=self._phone(),
            )
            guardians.append((grandmother, GuardianRelation.GUARDIAN))
        for guardian_id, relation in guardians:
            self._person_key("G", guardian_id)
            for pupil_id in pupil_ids:
                self.ctx.rows("guardianships").append(
                    {
                        "id": self.ctx.ids.take("guardianships"),
                        "guardian_id": guardian_id,
                        "pupil_id": pupil_id,
                        "relation": relation.value,
                        "read_only": False,
                        "granted_by": None,
                    }
                )

    # ---------------------------------------------------------------------------- groups

    def _new_group(
        self,
        name: str,
        kind: str,
        classes: list[SchoolClass],
        pupils: list[int],
        *,
        subject: str,
        hours: int,
        split: str = "",
    ) -> Group:
        group = Group(
            group_id=self.ctx.ids.take("teaching_groups"),
            name=name,
            kind=kind,
            grade=classes[0].grade,
            subject=subject,
            class_ids=tuple(c.class_id for c in classes),
            pupils=sorted(pupils),
            hours=hours,
            split=split,
        )
        self.groups.append(group)
        return group

    def _add_groups(self) -> None:
        titles = dict(v.SUBJECTS)
        for grade in range(1, LAST_GRADE + 1):
            in_grade = [c for c in self.classes if c.grade == grade]
            for cls in in_grade:
                everyone = [p.person_id for p in cls.pupils]
                for subject, hours in v.CURRICULUM[grade]:
                    if subject == v.SECOND_LANGUAGE:
                        continue
                    title = f"{cls.name} {titles[subject]}"
                    boys = [p.person_id for p in cls.pupils if p.male]
                    girls = [p.person_id for p in cls.pupils if not p.male]
                    if subject == "SP" and grade >= v.SPLIT_SPORTS_FROM_GRADE and boys and girls:
                        for split, members, label in (
                            ("boys", boys, "zēni"),
                            ("girls", girls, "meitenes"),
                        ):
                            self._new_group(
                                f"{title} ({label})",
                                "part",
                                [cls],
                                members,
                                subject=subject,
                                hours=hours,
                                split=split,
                            )
                    else:
                        self._new_group(
                            title, "class", [cls], everyone, subject=subject, hours=hours
                        )
            hours_2l = dict(v.CURRICULUM[grade]).get(v.SECOND_LANGUAGE)
            if hours_2l is None:
                continue
            for start in range(0, len(in_grade), 2):
                self._add_language_groups(in_grade[start : start + 2], hours_2l)

    def _add_language_groups(self, classes: list[SchoolClass], hours: int) -> None:
        pupils = [p for c in classes for p in c.pupils]
        chosen = {p.language for p in pupils}
        if len(pupils) >= 2 and len(chosen) == 1:
            last = pupils[-1]
            last.language = "VAC" if last.language == "KRV" else "KRV"
        titles = dict(v.SUBJECTS)
        names = ", ".join(c.name for c in classes)
        kind = "combined" if len(classes) > 1 else "part"
        for language in v.SECOND_LANGUAGES:
            members = [p.person_id for p in pupils if p.language == language]
            if members:
                self._new_group(
                    f"{names} {titles[language]}",
                    kind,
                    classes,
                    members,
                    subject=language,
                    hours=hours,
                    split=v.SECOND_LANGUAGE,
                )

    # -------------------------------------------------------------------------- teachers

    def _assign_teachers(self) -> None:
        """Primary class teachers for grades 1-3, subject teachers by bundle (longest first)."""
        rng = self.ctx.rng
        bundle_of = {s: i for i, bundle in enumerate(v.BUNDLES) for s in bundle}
        primary: dict[int, int] = {}
        for cls in self.classes:
            if cls.grade <= 3:
                primary[cls.class_id] = self._new_teacher(
                    tuple(sorted(v.PRIMARY_TEACHER_SUBJECTS)), rng.random() < 0.05, primary=True
                )
        chunks: dict[tuple[int, tuple[int, ...], str], list[Group]] = {}
        for group in self.groups:
            subject = group.subject or ""
            if group.grade <= 3 and subject in v.PRIMARY_TEACHER_SUBJECTS:
                group.teacher = primary[group.class_ids[0]]
                self.teachers[group.teacher].load += group.hours
                continue
            split = group.split if group.split in ("boys", "girls") else ""
            key = (bundle_of[subject], group.class_ids, split)
            chunks.setdefault(key, []).append(group)
        hours = [0] * len(v.BUNDLES)
        for (bundle, _, _), groups in chunks.items():
            hours[bundle] += sum(g.hours for g in groups)
        pool: dict[int, list[int]] = {}
        for bundle, total in enumerate(hours):
            if total == 0:
                continue
            count = max(1, math.ceil(total / _TEACHER_HOURS))
            sports = v.BUNDLES[bundle] == ("SP",)
            if sports:
                count = max(2, count)  # boys and girls have sports at the same time
            pool[bundle] = [
                # sports teachers alternate men and women; other teachers are mostly women
                self._new_teacher(v.BUNDLES[bundle], i % 2 == 0 if sports else rng.random() < 0.15)
                for i in range(count)
            ]
        order = sorted(chunks, key=lambda k: (-sum(g.hours for g in chunks[k]), rng.random()))
        taken: dict[tuple[tuple[int, ...], str], int] = {}
        for key in order:
            bundle, class_ids, split = key
            groups = chunks[key]
            partner = taken.get((class_ids, "girls" if split == "boys" else "boys"))
            candidates = [i for i in pool[bundle] if split == "" or i != partner]

            def rank(i: int, split: str = split) -> tuple[int, int, int]:
                teacher = self.teachers[i]
                mismatch = int(split != "" and teacher.male != (split == "boys"))
                return (mismatch, teacher.load, i)

            chosen = min(candidates, key=rank)
            if split:
                taken[(class_ids, split)] = chosen
            for group in groups:
                group.teacher = chosen
                self.teachers[chosen].load += group.hours
        self._give_deputy_lessons(chunks, bundle_of["SOC"])
        self._pick_class_teachers(primary)

    def _new_teacher(self, bundle: tuple[str, ...], male: bool, *, primary: bool = False) -> int:
        self.teachers.append(Teacher(len(self.teachers), bundle, male, primary=primary))
        return len(self.teachers) - 1

    def _give_deputy_lessons(
        self, chunks: Mapping[tuple[int, tuple[int, ...], str], list[Group]], bundle: int
    ) -> None:
        """The deputy director (the superuser) teaches one small class chunk of history/civics."""
        self.deputy_index = self._new_teacher(v.BUNDLES[bundle], male=False)
        options = [k for k in chunks if k[0] == bundle]
        if not options:
            return
        key = min(
            options,
            key=lambda k: (abs(sum(g.hours for g in chunks[k]) - _DEPUTY_HOURS), -len(k[1]), k[1]),
        )
        for group in chunks[key]:
            self.teachers[group.teacher].load -= group.hours
            group.teacher = self.deputy_index
            self.teachers[self.deputy_index].load += group.hours

    def _pick_class_teachers(self, primary: Mapping[int, int]) -> None:
        teaching: dict[int, dict[int, int]] = {}
        for group in self.groups:
            if group.teacher == self.deputy_index:
                continue
            for class_id in group.class_ids:
                per_class = teaching.setdefault(class_id, {})
                per_class[group.teacher] = per_class.get(group.teacher, 0) + group.hours
        busy: set[int] = set(primary.values())
        for cls in self.classes:
            if cls.class_id in primary:
                cls.teacher = primary[cls.class_id]
        upper = [c for c in self.classes if c.class_id not in primary]
        upper.sort(key=lambda c: (len(teaching.get(c.class_id, {})), c.grade, c.name))
        for cls in upper:
            hours = teaching.get(cls.class_id, {})
            free = sorted(t for t in hours if t not in busy)
            candidates = free or sorted(hours)
            if not candidates:
                continue
            best = max(hours[t] for t in candidates)
            top = [t for t in candidates if hours[t] == best]
            cls.teacher = top[self.ctx.rng.randrange(len(top))]
            busy.add(cls.teacher)

    def _add_staff_and_groups(self) -> None:
        """Persons for the teachers who teach, then groups with their teachers and members."""
        rng = self.ctx.rng
        rooms = (f"{2 + n // 30}{n % 30 + 1:02d}" for n in itertools.count())  # 201, 202...
        primary_rooms = (f"1{n:02d}" for n in itertools.count(1))  # ground floor: 101, 102...
        special_used: dict[str, int] = {}
        for teacher in self.teachers:
            if teacher.index == self.deputy_index:
                teacher.person_id = self.deputy
                teacher.room = next(rooms)
                continue
            if teacher.load == 0:
                continue
            if teacher.primary:
                teacher.room = next(primary_rooms)
            elif teacher.bundle[0] in v.SPECIAL_ROOMS:
                names = v.SPECIAL_ROOMS[teacher.bundle[0]]
                used = special_used.get(teacher.bundle[0], 0)
                special_used[teacher.bundle[0]] = used + 1
                teacher.room = names[used] if used < len(names) else f"{names[0]} {used + 1}"
            else:
                teacher.room = next(rooms)
            age = rng.randint(24, 63)
            teacher.person_id = self._adult(teacher.male, self.ctx.start_year - age, staff=True)
            self._person_key("S", teacher.person_id)
            self._staff_role(teacher.person_id, StaffRole.TEACHER)
        for cls in self.classes:
            self.ctx.rows("classes").append(
                {
                    "id": cls.class_id,
                    "school_id": self.ctx.school_id,
                    "school_year_id": self.ctx.year_id,
                    "name": cls.name,
                    "grade": cls.grade,
                    "class_teacher_id": (
                        self.teachers[cls.teacher].person_id if cls.teacher is not None else None
                    ),
                }
            )
        for group in self.groups:
            teacher = self.teachers[group.teacher]
            group.teacher_id = teacher.person_id
            group.room = teacher.room
        self._add_interest_groups()
        for group in self.groups:
            self._write_group(group)

    def _add_interest_groups(self) -> None:
        for title, room, low, high, size, cells in v.INTEREST_GROUPS:
            teacher = self._adult(
                self.ctx.rng.random() < 0.3,
                self.ctx.start_year - self.ctx.rng.randint(28, 60),
                staff=True,
            )
            self._person_key("S", teacher)
            self._staff_role(teacher, StaffRole.INTEREST_TEACHER)
            eligible = sorted(p for p, pupil in self.pupils.items() if low <= pupil.grade <= high)
            members = sorted(self.ctx.rng.sample(eligible, min(size, len(eligible))))
            if not members:
                continue
            classes = sorted(
                {self.pupils[p].class_id for p in members},
            )
            grade = min(self.pupils[p].grade for p in members)
            group = Group(
                group_id=self.ctx.ids.take("teaching_groups"),
                name=title,
                kind="interest",
                grade=grade,
                subject=None,
                class_ids=tuple(classes),
                pupils=members,
                hours=0,
                teacher_id=teacher,
                room=room,
            )
            self.groups.append(group)
            self.interest_cells[group.group_id] = cells

    def _write_group(self, group: Group) -> None:
        self.ctx.rows("teaching_groups").append(
            {
                "id": group.group_id,
                "school_id": self.ctx.school_id,
                "school_year_id": self.ctx.year_id,
                "subject_id": self.subject_ids[group.subject] if group.subject else None,
                "name": group.name,
                "kind": group.kind,
                "grade": group.grade,
                "scale": None,
            }
        )
        self.ctx.rows("group_teachers").append(
            {
                "id": self.ctx.ids.take("group_teachers"),
                "group_id": group.group_id,
                "teacher_id": group.teacher_id,
            }
        )
        for class_id in group.class_ids:
            self.ctx.rows("group_classes").append(
                {
                    "id": self.ctx.ids.take("group_classes"),
                    "group_id": group.group_id,
                    "class_id": class_id,
                }
            )
        for pupil_id in group.pupils:
            self.ctx.rows("group_members").append(
                {
                    "id": self.ctx.ids.take("group_members"),
                    "group_id": group.group_id,
                    "pupil_id": pupil_id,
                    "starts_on": self.ctx.calendar.starts_on,
                    "ends_on": None,
                }
            )

    # ------------------------------------------------------------------------- timetable

    def _timetable_units(self) -> list[Unit]:
        """One unit per weekly lesson; split and cross-class groups share theirs."""
        together: dict[tuple[tuple[int, ...], str], list[Group]] = {}
        for group in self.groups:
            if group.kind == "interest" or group.subject is None:
                continue
            subject = v.SECOND_LANGUAGE if group.split == v.SECOND_LANGUAGE else group.subject
            together.setdefault((group.class_ids, subject), []).append(group)
        units: list[Unit] = []
        for (class_ids, subject), groups in together.items():
            unit = Unit(
                classes=class_ids,
                teachers=tuple(sorted({g.teacher_id for g in groups})),
                subject=subject,
                placements=tuple((g.group_id, g.teacher_id, g.room) for g in groups),
            )
            units.extend([unit] * groups[0].hours)
        return units

    def _class_cells(self) -> dict[int, list[Cell]]:
        """Each class's (weekday, period) cells: its daily lessons from period 1, no gaps."""
        cells: dict[int, list[Cell]] = {}
        for grade in range(1, LAST_GRADE + 1):
            weekly = sum(hours for _, hours in v.CURRICULUM[grade])
            low, high = v.LESSONS_PER_DAY[grade]
            longer = [0, 1, 2, 3]
            self.ctx.rng.shuffle(longer)
            counts = daily_counts(weekly, low, high, [*longer, 4])
            grade_cells = [(d, p) for d in range(5) for p in range(1, counts[d] + 1)]
            for cls in self.classes:
                if cls.grade == grade:
                    cells[cls.class_id] = grade_cells
        return cells

    def _add_timetable(self) -> Slots:
        """Slots for every term; returns ``(term, weekday) -> [(period, group, teacher)]``."""
        groups = {g.group_id: g for g in self.groups}
        units = self._timetable_units()
        cells = self._class_cells()
        by_day: Slots = {}
        for term in self.ctx.calendar.terms:
            entries: list[tuple[int, int, int, int, str]] = []
            placed = solve(units, cells, self.ctx.rng)
            for unit, (weekday, period) in zip(units, placed, strict=True):
                entries.extend(
                    (weekday, period, group_id, teacher_id, room)
                    for group_id, teacher_id, room in unit.placements
                )
            for group_id, interest_cells in self.interest_cells.items():
                group = groups[group_id]
                entries.extend(
                    (weekday, period, group_id, group.teacher_id, group.room)
                    for weekday, period in interest_cells
                )
            entries.sort()
            for weekday, period, group_id, teacher_id, room in entries:
                self.ctx.rows("timetable_slots").append(
                    {
                        "id": self.ctx.ids.take("timetable_slots"),
                        "school_id": self.ctx.school_id,
                        "term_id": self.ctx.term_ids[term.number],
                        "weekday": weekday,
                        "period": period,
                        "group_id": group_id,
                        "teacher_id": teacher_id,
                        "room": room,
                        "week": None,
                    }
                )
                by_day.setdefault((term.number, weekday), []).append(
                    (period, groups[group_id], teacher_id)
                )
        return by_day
