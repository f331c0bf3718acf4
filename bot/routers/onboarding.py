"""Owns connecting and disconnecting: ``/start <code>``, a shared contact, and /logout.

``/start <code>`` and a shared phone go to core, which checks, counts and audits every attempt;
a refusal is a domain error the error handler puts into words. After linking, the main menu
and the chat's command list follow the person's roles.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.callbacks import LogoutCb
from bot.commands import set_chat_commands, set_unlinked_commands
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore, children_of
from bot.replies import reply
from bot.views import onboarding as views
from bot.views.start import main_menu
from core.services.linking import Linked, link_by_phone, redeem_invite, unlink_account


async def open_invitation(
    message: Message, command: CommandObject, core: JournalCore, t: Translator, lang: str
) -> None:
    """The user opened an invitation link (``/start <code>``)."""
    result = await redeem_invite(
        core.uow(),
        telegram_user_id=_sender(message),
        chat_id=message.chat.id,
        code=command.args,
        language=lang,
    )
    await _welcome(message, result, t)


async def shared_contact(message: Message, core: JournalCore, t: Translator, lang: str) -> None:
    """The user shared a contact: link if it is their own and the school has that number."""
    contact = message.contact
    if contact is None:  # pragma: no cover - the filter guarantees a contact
        return
    result = await link_by_phone(
        core.uow(),
        telegram_user_id=_sender(message),
        chat_id=message.chat.id,
        phone=contact.phone_number,
        contact_user_id=contact.user_id,
        language=lang,
    )
    await _welcome(message, result, t)


async def logout(message: Message, t: Translator) -> None:
    """Ask before disconnecting."""
    await reply(message, views.logout_question(t))


async def logout_unlinked(message: Message, t: Translator) -> None:
    """Nothing to disconnect."""
    await reply(message, views.not_linked(t))


async def logout_answer(
    query: CallbackQuery, callback_data: LogoutCb, core: JournalCore, t: Translator
) -> None:
    """Disconnect on "yes" (the chat's command list goes back to the default one)."""
    if callback_data.answer == "no":
        await reply(query, views.logout_kept(t))
        return
    await unlink_account(core.uow(), telegram_user_id=query.from_user.id)
    await reply(query, views.logged_out(t))
    if query.bot is not None:
        await set_unlinked_commands(query.bot, _chat(query), t)


async def _welcome(message: Message, result: Linked, t: Translator) -> None:
    """Connected: say so (in the account's language), then the menu and the command list."""
    t = Translator(t.catalogs, result.identity.account.language)
    await reply(message, views.linked(result, t))
    family = children_of(result.identity.viewer, result.pupils)
    await reply(message, main_menu(result.identity, family, t))
    bot: Bot | None = message.bot
    if bot is not None:
        await set_chat_commands(bot, message.chat.id, result.identity, t)


def _sender(message: Message) -> int:
    return message.from_user.id if message.from_user is not None else message.chat.id


def _chat(query: CallbackQuery) -> int:
    return query.message.chat.id if query.message is not None else query.from_user.id


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(open_invitation, CommandStart(deep_link=True))
    router.message.register(shared_contact, F.contact)
    router.message.register(logout, Command("logout"), IsLinked())
    router.message.register(logout_unlinked, Command("logout"))
    router.callback_query.register(logout_answer, LogoutCb.filter(), IsLinked())
    return router
