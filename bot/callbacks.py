"""Owns every inline-button payload: typed ``CallbackData`` within Telegram's 64 bytes.

Small integer ids and short enums only; untrusted input, so services decide access.
"""

from __future__ import annotations

from typing import Any, Literal

from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery
from magic_filter import MagicFilter

Language = Literal["lv", "en", "ru"]
CarerAction = Literal["list", "new", "ask_revoke", "revoke"]
PersonAction = Literal["ask_off", "ask_on", "off", "on"]
InvitePurpose = Literal["pupil", "guardian", "staff"]
NoteStep = Literal["child", "when", "pick", "from", "to", "reason", "skip", "submit", "list"]
NoteAction = Literal["open", "approve", "reject", "file", "ask_withdraw", "withdraw"]
NewsAction = Literal[
    "page",  # a page of the feed; ref: the offset
    "open",  # one post in full; ref: the post id
    "file",  # a post's attachment; ref: the post id
    "ask_del",  # "delete this post?"; ref: the post id
    "del",  # delete it; ref: the post id
    "new",  # write a post; ref: the school id (0: pick the school)
    "pub",  # publish the draft
    "pubn",  # publish the draft and notify everyone of the school
    "cancel",  # drop the draft
]
ChangesAction = Literal[
    "day",  # the day screen; arg: a date ordinal (0: the screen's date)
    "cls",  # a class's lessons; arg: the class's position on the day screen
    "les",  # a timetable lesson; arg: its slot id
    "ext",  # an extra lesson; arg: its change id
    "back",  # back to where the lesson was picked (a teacher's or a class's lessons)
    "subs",  # free teachers; arg: the page
    "sub",  # this teacher substitutes (or teaches the added lesson); arg: a person id
    "cnl",  # cancel the lesson
    "room",  # ask for the room
    "mvd",  # move: pick the date
    "mvp",  # move: pick the period; arg: the new date's ordinal
    "mv",  # move to that period; arg: the period
    "rm",  # remove a draft; arg: its change id
    "abs",  # "teacher absent": the teachers of the day; arg: the page
    "tch",  # a teacher's lessons; arg: a person id
    "add",  # "add lesson": pick a class
    "addc",  # the class's groups; arg: a class id
    "addg",  # the group's free periods; arg: a group id
    "addp",  # free teachers for that period; arg: the period
    "drf",  # the drafts
    "pub",  # "publish?"
    "puby",  # publish
    "file",  # ask for a file of changes
    "fyes",  # create the drafts of the previewed file
    "fno",  # drop the previewed file
]


class PrefixFilter(CallbackQueryFilter):
    """aiogram's callback filter, answering "not mine" from the prefix alone.

    A pressed button passes the filters of every router before one matches (about fifty): the
    stock filter parses the data for each class, raising and catching an error every time it is
    another class's. A class's packed data is its prefix alone (no fields) or the prefix and the
    separator, so comparing that first gives the same verdict for a fraction of the work.
    """

    __slots__ = ("_exact", "_head")

    def __init__(self, *, callback_data: type[CallbackData], rule: MagicFilter | None = None):
        super().__init__(callback_data=callback_data, rule=rule)
        self._exact = callback_data.__prefix__
        self._head = callback_data.__prefix__ + callback_data.__separator__

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        """The unpacked data when the button is of this class (and the rule holds)."""
        data = query.data if isinstance(query, CallbackQuery) else None
        if not data or not (data == self._exact or data.startswith(self._head)):
            return False
        return await super().__call__(query)


class Callback(CallbackData, prefix="cb"):
    """The base of every payload below: aiogram's ``CallbackData`` with ``PrefixFilter``."""

    @classmethod
    def filter(cls, rule: MagicFilter | None = None) -> CallbackQueryFilter:
        """The filter of this class's buttons (see ``PrefixFilter``)."""
        return PrefixFilter(callback_data=cls, rule=rule)


class MenuCb(Callback, prefix="mn"):
    """Back to the main menu."""


class MarksCb(Callback, prefix="mk"):
    """A pupil's marks this semester."""

    pupil_id: int


class MarksSubjectCb(Callback, prefix="mks"):
    """All of a pupil's marks this semester in one teaching group (a subject of /marks)."""

    pupil_id: int
    group_id: int


class AbsencesCb(Callback, prefix="ab"):
    """A pupil's absences this semester."""

    pupil_id: int


class DiaryCb(Callback, prefix="dy"):
    """A pupil's diary: the week (``w``) of ``day`` or that one day (``d``) in detail.

    ``day`` is a date ordinal, or ``TODAY`` (0) / ``NEXT_SCHOOL_DAY`` (1) in the school's
    zone when pressed. Only ids and a date: core checks every time that the person pressing
    may read the pupil.
    """

    view: Literal["w", "d"]
    pupil_id: int
    day: int


class DiaryFileCb(Callback, prefix="df"):
    """Send one homework file of a pupil's diary; core checks the pupil and the file."""

    pupil_id: int
    file_id: int


class PupilHomeworkCb(Callback, prefix="dh"):
    """A pupil's homework due tomorrow and later this school week."""

    pupil_id: int


class LanguageCb(Callback, prefix="lng"):
    """Pick the language the bot speaks."""

    language: Language


class LogoutCb(Callback, prefix="lo"):
    """/logout: confirm (``yes``) or keep the connection (``no``)."""

    answer: Literal["yes", "no"]


class InvitesCb(Callback, prefix="iv"):
    """Invitation slips: the choice (``menu``, target 0) or one batch.

    ``target`` is a class id (parents, pupils) or a school id (staff); core checks both.
    """

    audience: Literal["menu", "parents", "pupils", "staff"]
    target: int


class ConnectionsCb(Callback, prefix="cn"):
    """The connection report: the overview (class 0) or one class."""

    class_id: int


class PersonCb(Callback, prefix="pp"):
    """A manager acts on a person found with /people: ask first, then do."""

    person_id: int
    action: PersonAction


class PersonInviteCb(Callback, prefix="pi"):
    """A manager issues one person's invitation."""

    person_id: int
    purpose: InvitePurpose


class CarersCb(Callback, prefix="cr"):
    """A parent's carers: the list (pupil 0), invite one, or revoke one (asked first)."""

    action: CarerAction
    pupil_id: int


class TimetableCb(Callback, prefix="tt"):
    """A week of a timetable: a pupil's (``p``) or a teacher's (``t``); ``day`` is an ordinal.

    Only ids and a date: core decides whether the person pressing may see that week.
    """

    whose: Literal["p", "t"]
    person_id: int
    day: int


class TimetableImportCb(Callback, prefix="ti"):
    """The superuser's answer to a timetable preview: apply the pending file, or drop it."""

    action: Literal["apply", "cancel"]


class ChangesCb(Callback, prefix="chg"):
    """A step of the superuser's change editor.

    ``ref`` names a place the bot itself remembered for this user when it drew the screen (the
    school, the date, the lesson or teacher it was about); ``arg`` is the choice on the button.
    Both are untrusted: an unknown ``ref`` reads as an outdated button, and core re-checks every
    id against the school the user manages.
    """

    act: ChangesAction
    ref: int
    arg: int = 0


class NewsCb(Callback, prefix="nw"):
    """School news: the feed, a post, its file, deleting, and the manager's draft.

    ``ref`` is an offset, a post id or a school id (see ``NewsAction``); core checks that the
    person pressing may read, delete or post there, every time. The draft itself lives in the
    user's FSM state, never in the button.
    """

    action: NewsAction
    ref: int = 0


GroupListAction = Literal["list", "open", "edit", "classes", "ask", "send"]
GroupPage = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]


class GroupListCb(Callback, prefix="gl"):
    """A teacher's group lists (rule 3.4): /groups (group 0), a group, picking, submitting.

    The ticked pupils live in the user's FSM state, never in the button; core checks that the
    person pressing teaches the group, every time.
    """

    action: GroupListAction
    group_id: int


class GroupPupilsCb(Callback, prefix="gc"):
    """One page (from "0") of a class's pupils while picking a group's list."""

    group_id: int
    class_id: int
    page: GroupPage


class GroupToggleCb(Callback, prefix="gt"):
    """Tick or untick a pupil in the group's list being picked."""

    group_id: int
    pupil_id: int


class GroupReviewCb(Callback, prefix="gv"):
    """A manager's review: the pending lists (id 0), one list, approve, or reject (asks why)."""

    action: Literal["list", "show", "approve", "reject"]
    submission_id: int


MarkKindName = Literal["summative", "formative", "diagnostic"]
MarkKey = Literal[
    # the keyboards' values: ten-point, percent in tens, learning levels, pass/fail, "nv"
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    "0", "20", "30", "40", "50", "60", "70", "80", "90", "100",
    "S", "T", "A", "P", "i", "ni", "nv",
    # moving without saving
    "skip", "back", "done",
]  # fmt: skip


class GradesCb(Callback, prefix="grd"):
    """A teacher's assessments of a group (``group``) or a new one (``new``) on a day.

    ``day`` is a date ordinal (0: the most recent assessments; a new one is dated today). Core
    checks that the person pressing teaches the group, every time.
    """

    action: Literal["group", "new"]
    group_id: int
    day: int


class GradeKindCb(Callback, prefix="grk"):
    """The kind of the new assessment; its group, day and title wait in the FSM state."""

    kind: MarkKindName


class AssessmentCb(Callback, prefix="gra"):
    """An assessment's entry screen, its value keyboard (pupil by pupil) or its summary."""

    assessment_id: int
    view: Literal["entry", "keys", "summary"]


class MarkKeyCb(Callback, prefix="grm"):
    """A tap on the value keyboard for the pupil it showed: a value, skip, back or done.

    Core checks the teacher, the pupil's place in the group and the value against the scale.
    """

    assessment_id: int
    pupil_id: int
    key: MarkKey


LessonAction = Literal["open", "topic", "homework", "attendance", "grades", "subst"]


class TodayCb(Callback, prefix="td"):
    """A teacher's day: ``day`` is a date ordinal (0: today in the school's zone)."""

    day: int


class LessonCb(Callback, prefix="ls"):
    """One lesson of a teacher's day: its card, or a step from it (topic, homework, ...).

    ``slot`` packs the date and the period (day ordinal × 16 + period): with the group that is
    the lesson. Core checks every time that the person pressing may write that lesson.
    """

    action: LessonAction
    group_id: int
    slot: int


class RosterCb(Callback, prefix="rs"):
    """The attendance roster waiting in the chat's FSM data: tap a pupil, all present, save.

    ``token`` names the roster the keyboard belongs to (an older keyboard is refused).
    """

    action: Literal["tap", "all", "save"]
    pupil_id: int
    token: int


class HomeworkCb(Callback, prefix="hw"):
    """The homework dialog of the lesson in the FSM data: a due date (``day`` ordinal) or done."""

    action: Literal["due", "done"]
    day: int
    token: int


class SubstituteCb(Callback, prefix="sb"):
    """Who taught the lesson in the FSM data: a colleague's person id, or 0 for the teacher."""

    teacher_id: int
    token: int


class NoteFormCb(Callback, prefix="nf"):
    """A step of reporting an absence; the rest of the draft waits in the FSM data.

    ``value`` is the step's choice: a pupil id (``child``, ``list``), a date ordinal (``from``,
    ``to``), 0/1/2 for today, tomorrow or both (``when``), a reason's index (``reason``).
    Untrusted: core authorizes the pupil and validates the days on every call.
    """

    step: NoteStep
    value: int


class NoteCb(Callback, prefix="nt"):
    """One absence note: open it, accept or reject it, its attachment, withdraw (asked first)."""

    action: NoteAction
    note_id: int


class NotesQueueCb(Callback, prefix="nq"):
    """The class teacher's notes: the classes (class 0), a class's queue, or its summary.

    ``day`` is the summary's first day as an ordinal (0: this semester).
    """

    view: Literal["queue", "summary"]
    class_id: int
    day: int


class AbsenceDayCb(Callback, prefix="ad"):
    """A pupil's day of absences without a note: open, justify (asks why), keep unjustified."""

    action: Literal["open", "justify", "keep"]
    pupil_id: int
    day: int


CalendarAction = Literal["pupil", "new", "ask", "revoke"]


class CalendarCb(Callback, prefix="cal"):
    """Calendar feed links of a pupil: the list, a new link, revoke one (asked first).

    ``feed_id`` is 0 for ``pupil`` and ``new``. Untrusted: core checks that the person pressing
    may hold links of the pupil and owns the link, every time.
    """

    action: CalendarAction
    pupil_id: int
    feed_id: int = 0


MyDataAction = Literal["menu", "ask", "review", "approve", "reject"]


class MyDataCb(Callback, prefix="myd"):
    """Data access requests: the screen, ask for someone's data, and the superuser's decision.

    ``ref`` is the data subject's person id for ``ask`` and the request id for ``review``,
    ``approve`` and ``reject`` (0 for ``menu``). Untrusted: core checks who may ask about whom
    and who may decide a school's requests, every time.
    """

    action: MyDataAction
    ref: int = 0


SettingsView = Literal["menu", "language", "quiet", "digest"]
NotifyTopic = Literal["mark", "absence", "homework", "news"]
NotifyChoice = Literal["ask", "instant", "digest", "off"]


class SettingsCb(Callback, prefix="set"):
    """/settings: the overview, the language picker, the quiet-hours or digest-time choices."""

    view: SettingsView


class NotifyCb(Callback, prefix="sn"):
    """One kind of notification: show its choices (``ask``) or choose how it arrives.

    The account is the one pressing (never in the button); core checks the kind is theirs.
    """

    topic: NotifyTopic
    mode: NotifyChoice


class QuietHoursCb(Callback, prefix="sq"):
    """Quiet hours from ``start`` to ``end``, in minutes after midnight.

    Equal values: no quiet hours; -1 and -1: the school default. Untrusted: core accepts whole
    quarter hours only.
    """

    start: int
    end: int


class DigestTimeCb(Callback, prefix="sdt"):
    """The digest time, minutes after midnight (-1: the school's). Core validates it."""

    minutes: int


HistorySince = Literal["yesterday", "week", "month"]


class HistoryCb(Callback, prefix="his"):
    """A pupil's change history since a preset day, one page (``offset``) of it.

    Core checks every time that the person pressing may read the pupil.
    """

    pupil_id: int
    since: HistorySince
    offset: int = 0


class AccessHistoryCb(Callback, prefix="acs"):
    """Who read a pupil's data ("👁 Kas skatīja datus"); core checks the presser may see it."""

    pupil_id: int


BroadcastAction = Literal[
    "school",  # the audience menu of a school; ref: the school id (0: pick the school)
    "kind",  # an audience was picked; ref: its index in bot.views.broadcasts.KINDS
    "target",  # the grade, class or group (0: the whole school); ref: the grade or the id
    "page",  # a page of classes or groups to pick from; ref: the page
    "members",  # who in the grade, class or group; ref: the index in MEMBER_CHOICES
    "ack",  # ask for an acknowledgement, or not (toggle)
    "urgent",  # urgent, past the quiet hours, or not (toggle; managers)
    "send",  # send the previewed draft
    "cancel",  # drop the draft
    "report",  # the report again (🔄); ref: the broadcast id
]


class BroadcastCb(Callback, prefix="bc"):
    """A step of /broadcast. The draft (audience, text, file) lives in the FSM state.

    ``ref`` is a school id, an index, a grade, a class or group id, a page or a broadcast id
    (see ``BroadcastAction``). Untrusted: core checks the school, the audience and the
    report's reader on every call.
    """

    action: BroadcastAction
    ref: int = 0


class BroadcastAckCb(Callback, prefix="ba"):
    """A recipient's "I have read this" under a broadcast (the notifications engine writes it).

    Untrusted: core accepts it only from a recipient of a broadcast that asked for it.
    """

    broadcast_id: int


ExtractAction = Literal[
    "pupil",  # a pupil's months; ref: the pupil id
    "month",  # a pupil's extract of a month as a PDF; ref: the pupil id, month: its ordinal
    "class",  # a class's pupils; ref: the class id
    "mmonths",  # which month's missing extracts of a class; ref: the class id
    "missing",  # a class's missing extracts of a month as one PDF; ref: the class id
]


class ExtractCb(Callback, prefix="ex"):
    """/extract: a pupil's months, a month's PDF, a class's pupils, its missing extracts.

    ``month`` is a month's ordinal (year × 12 + month − 1; 0 when no month is meant). Untrusted:
    core checks every time that the person pressing may read the pupil or print the class.
    The notifications engine writes the ``missing`` button of the class teacher's monthly
    count as text (``notifications.extracts.missing_callback``); a test keeps both equal.
    """

    action: ExtractAction
    ref: int
    month: int = 0


PeriodMarksAction = Literal["pick", "open", "all"]


class PeriodMarksCb(Callback, prefix="pm"):
    """A group's semester or year marks: the periods (``pick``), a period's sheet, confirm all.

    ``term`` is the semester number, 0 for the year mark. Core checks every time that the
    person pressing teaches the group.
    """

    action: PeriodMarksAction
    group_id: int
    term: int


ReportKind = Literal["menu", "journal", "jclass", "attendance", "stats", "school", "cards"]


class ReportsCb(Callback, prefix="rp"):
    """/reports: the menu, then a report's choices.

    ``target`` is 0 for the list of choices, else a group id (``journal``: its periods) or a
    class id (``jclass``: its journals; ``attendance``: its months; ``stats``: its periods;
    ``cards``: make its report cards) or a school id (``school``: its periods for whole-school
    statistics). Core checks the target every time.
    """

    kind: ReportKind
    target: int = 0


ReportFileKind = Literal["journal", "attendance", "stats", "school"]


class ReportFileCb(Callback, prefix="rf"):
    """Make a report as PDF or XLSX.

    ``journal``: ``target`` a group id, ``period`` a semester number (0: the school year);
    ``attendance``: a class id and the month as YYYYMM; ``stats``: a class id, ``school``: a
    school id, each with a semester number (0: the year). Core checks the target every time.
    """

    what: ReportFileKind
    fmt: Literal["pdf", "xlsx"]
    target: int
    period: int


class ReportCardsCb(Callback, prefix="rc"):
    """A class's report cards: the PDF (``make``), "send to the families?" (``ask``), send."""

    action: Literal["make", "ask", "send"]
    class_id: int


MailAction = Literal[
    "inbox",  # the inbox; ref: the offset
    "thread",  # a thread; ref: the thread id
    "file",  # a message's attachment; ref: the message id
    "new",  # write a message: who is it about (parents), then whom
    "child",  # about this child; ref: the pupil id (0: about no child)
    "groups",  # the recipient groups; arg: the page
    "group",  # the people of a group; ref: its position, arg: the page
    "to",  # write to this person; ref: the person id, arg: the child they are listed for
    "send",  # send the draft in the FSM state
    "cancel",  # drop the draft or the answer being written
    "reply",  # answer a message; ref: the message id
    "read",  # mark a message read; ref: the message id
    "report",  # report a message to the administration (asks why); ref: the message id
    "susp",  # suspend a reported sender; ref: the report id, arg: days (0: until lifted)
    "resume",  # lift a person's suspension; ref: the person id
    "suspended",  # the suspended senders of the schools one manages
]


class MailCb(Callback, prefix="ml"):
    """Journal mail: the inbox, a thread, writing, answering, reporting, suspending.

    Ids are lookups, never grants: core checks the matrix, the thread's participants and the
    managed schools on every press. The draft (recipient, text, file id) lives in the FSM state.
    The notifications engine writes ``reply``/``read``/``report``/``susp`` buttons as strings.
    """

    action: MailAction
    ref: int = 0
    arg: int = 0


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (
    MailCb,
    MenuCb,
    MarksCb,
    MarksSubjectCb,
    AbsencesCb,
    DiaryCb,
    DiaryFileCb,
    PupilHomeworkCb,
    LanguageCb,
    LogoutCb,
    InvitesCb,
    ConnectionsCb,
    PersonCb,
    PersonInviteCb,
    CarersCb,
    TimetableCb,
    TimetableImportCb,
    NewsCb,
    ChangesCb,
    GroupListCb,
    GroupPupilsCb,
    GroupToggleCb,
    GroupReviewCb,
    GradesCb,
    GradeKindCb,
    AssessmentCb,
    MarkKeyCb,
    TodayCb,
    LessonCb,
    RosterCb,
    HomeworkCb,
    SubstituteCb,
    NoteFormCb,
    NoteCb,
    NotesQueueCb,
    AbsenceDayCb,
    CalendarCb,
    MyDataCb,
    SettingsCb,
    NotifyCb,
    QuietHoursCb,
    DigestTimeCb,
    HistoryCb,
    AccessHistoryCb,
    BroadcastCb,
    BroadcastAckCb,
    ExtractCb,
    PeriodMarksCb,
    ReportsCb,
    ReportFileCb,
    ReportCardsCb,
)
