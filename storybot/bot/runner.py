"""`Runner`: a book's life on Discord — its message, its buttons, its delivery.

It submits requests to the `BookMaker`, renders the events into a `BookMessage`, sends the
finished book to the requester's DMs, and answers Cancel, Retry and Send-to-DMs. Expected
Discord failures (closed DMs, missing permissions) get a quiet, friendly answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from storybot.books import (
    ActiveBook,
    BookDesk,
    CancelOutcome,
    RequestRefused,
    RunRecord,
    UserBusyError,
)
from storybot.books.store import IMAGE_NAMES
from storybot.bot.book_message import BookMessage
from storybot.bot.book_render import MessageState, book_embeds, page_label
from storybot.bot.delivery import deliver
from storybot.bot.i18n import locale_of, text
from storybot.bot.media import fit_image
from storybot.bot.origin import DiscordOrigin
from storybot.bot.views import book_view
from storybot.errors import StorybotError
from storybot.models import Book, Done, PageImage, Status, StoryRequest

if TYPE_CHECKING:
    from storybot.bot.client import StoryBot

log = logging.getLogger(__name__)

NEEDED = ("send_messages", "attach_files", "embed_links")


def missing_permissions(interaction: discord.Interaction) -> list[str]:
    """Channel permissions the bot lacks to post a book where `interaction` happened.

    Discord sends them with every interaction (`app_permissions`), so no cache is needed."""
    if interaction.guild_id is None:
        return []
    permissions = interaction.app_permissions
    return [name for name in NEEDED if not getattr(permissions, name)]


class Runner:
    """Starts books from interactions and follows them to the requester's DMs."""

    def __init__(self, bot: StoryBot, books: BookDesk) -> None:
        self.bot = bot
        self.books = books
        self._followers: set[asyncio.Task[None]] = set()
        # The book messages still rendering their book: a redraw's change goes through the
        # message's own editor, which owns its attachments (two editors would overwrite them).
        self._live: dict[str, BookMessage] = {}
        self._undelivered: set[str] = set()  # done, but the requester's DMs were closed

    async def start(
        self, interaction: discord.Interaction, request: StoryRequest, locale: str
    ) -> None:
        """Screen, queue and post the book message; the interaction must be deferred."""
        channel = interaction.channel
        assert channel is not None
        missing = missing_permissions(interaction)
        if missing:
            await interaction.followup.send(
                text(locale, "no_permission", missing=", ".join(missing)), ephemeral=True
            )
            return
        origin = DiscordOrigin(interaction.guild_id, channel.id)
        try:
            active = self.books.submit(
                request,
                requester_id=interaction.user.id,
                origin=origin.to_json(),
                lane=origin.lane,
                locale=locale,
            )
        except RequestRefused as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        except UserBusyError:
            await interaction.followup.send(text(locale, "busy"), ephemeral=True)
            return
        interaction.extras["run_id"] = active.run_id  # for the cog's log if anything fails now
        message = await self._post(channel, active, locale, interaction)  # type: ignore[arg-type]
        if message is not None:
            await interaction.followup.send(f"📖 {message.jump_url}", ephemeral=True)

    async def _post(
        self,
        channel: discord.abc.Messageable,
        active: ActiveBook,
        locale: str,
        interaction: discord.Interaction,
    ) -> discord.Message | None:
        record = active.record
        try:
            message = await channel.send(
                embed=discord.Embed(title=text(locale, "builder.title")),
                view=book_view(record.run_id, locale, running=True, retry=False, dm=False),
            )
        except discord.HTTPException as exc:  # e.g. a permission taken away by an overwrite
            self.books.cancel(record.run_id)  # nobody could follow it: do not make it
            log.warning("Could not post the book message of %s: %s", record.run_id, exc)
            key = "no_permission" if isinstance(exc, discord.Forbidden) else "post_failed"
            await interaction.followup.send(
                text(locale, key, missing=", ".join(NEEDED)), ephemeral=True
            )
            return None
        # Saved at once: after a restart this is how the book message is found again.
        origin = DiscordOrigin.from_record(record).with_message(message.channel.id, message.id)
        record.origin = origin.to_json()
        self.books.note_origin(record.run_id, record.origin)
        guild = getattr(channel, "guild", None)
        limit = guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
        book_message = BookMessage(
            message,
            locale,
            filesize_limit=limit,
            view_factory=lambda finished: self._view(record, locale, finished),
            eta_total=self._eta(),
        )
        self._live[record.run_id] = book_message
        task = asyncio.create_task(self._follow(active, book_message, locale, interaction))
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)
        return message

    def _view(self, record: RunRecord, locale: str, finished: bool) -> discord.ui.View:
        failed = record.status in (Status.FAILED, Status.CANCELLED, Status.INTERRUPTED)
        undelivered = record.status is Status.DONE and record.run_id in self._undelivered
        return book_view(
            record.run_id,
            locale,
            running=not finished,
            retry=finished and failed,
            dm=undelivered,
            redraw=finished and record.status is Status.DONE,
        )

    async def _follow(
        self,
        active: ActiveBook,
        book_message: BookMessage,
        locale: str,
        interaction: discord.Interaction,
    ) -> None:
        """Render every event; deliver the book when it is done."""
        try:
            async for event in active.events():
                try:
                    await book_message.apply(event)
                except Exception:  # a rendering problem never stops the book or its delivery
                    log.exception("Book %s: could not show %s", active.run_id, event.kind)
                if isinstance(event, Done):
                    delivered = await self._deliver(active.record, event.book, book_message, locale)
                    asker = interaction.user.id == active.record.requester_id
                    if not delivered and asker and not interaction.is_expired():
                        # A quiet note to the requester only; the channel is not spammed.
                        with contextlib.suppress(discord.HTTPException):
                            await interaction.followup.send(
                                text(locale_of(interaction.locale), "dm.closed"), ephemeral=True
                            )
        except Exception:
            log.exception("Following book %s failed", active.run_id)
        finally:
            await book_message.close()
            if self._live.get(active.run_id) is book_message:
                del self._live[active.run_id]

    async def _deliver(
        self, record: RunRecord, book: Book, book_message: BookMessage, locale: str
    ) -> bool:
        """DM the book to its requester; on any trouble the message says so and keeps 📬."""
        assert record.requester_id is not None
        problem = "book.done_no_dm"
        try:
            async with self.books.delivery(record.run_id) as newest:
                user = self.bot.get_user(record.requester_id) or await self.bot.fetch_user(
                    record.requester_id
                )
                delivered = await deliver(user, newest or book, locale)
        except Exception as exc:
            log.warning("Could not deliver book %s: %s", record.run_id, exc)
            delivered, problem = False, "book.done_dm_failed"
        if not delivered:
            self._undelivered.add(record.run_id)
        elif record.run_id in self._undelivered:  # a redraw landed while it was being sent
            problem, delivered = "book.redrawn", True
        key = "book.done" if delivered and problem != "book.redrawn" else problem
        book_message.set_status(text(locale, key))
        return delivered

    def _eta(self) -> float | None:
        return self.books.typical_seconds()

    # --- buttons -----------------------------------------------------------------------

    async def cancel(self, interaction: discord.Interaction, run_id: str) -> None:
        """Stop the book; a second press, or one after the end, is answered politely."""
        locale = locale_of(interaction.locale)
        outcome = self.books.cancel(run_id)
        if outcome is CancelOutcome.STOPPING:
            await interaction.response.defer()
            return
        key = "cancel.already" if outcome is CancelOutcome.ALREADY_STOPPING else "not_running"
        await interaction.response.send_message(text(locale, key), ephemeral=True)

    async def retry(self, interaction: discord.Interaction, run_id: str) -> None:
        """Make a stopped book again, on a new message; this message's Retry is used up."""
        locale = locale_of(interaction.locale)
        active: ActiveBook | str = self._requeue(interaction, run_id, locale)
        if isinstance(active, str):  # why it cannot be retried
            await interaction.response.send_message(active, ephemeral=True)
            return
        await interaction.response.edit_message(view=None)
        message = await self._post(interaction.channel, active, active.record.locale, interaction)  # type: ignore[arg-type]
        if message is not None:
            await interaction.followup.send(f"📖 {message.jump_url}", ephemeral=True)

    def _requeue(
        self, interaction: discord.Interaction, run_id: str, locale: str
    ) -> ActiveBook | str:
        """The retried book's active, or the reason (for the user) it cannot be retried here."""
        missing = missing_permissions(interaction)
        if missing:
            return text(locale, "no_permission", missing=", ".join(missing))
        if self.books.record(run_id) is None:
            return text(locale, "unknown_run")
        if self.books.is_active(run_id):
            return text(locale, "still_running")
        try:
            return self.books.retry(run_id)
        except UserBusyError:
            return text(locale, "busy")
        except StorybotError as exc:  # the service's reason is for the log; the user's words
            log.info("Book %s cannot be made again: %s", run_id, exc)
            return text(locale, "not_running")

    async def redraw(self, interaction: discord.Interaction, run_id: str, page: int) -> None:
        """🎨 Paint one page again and show it in place; the DM copy follows on 📬."""
        locale = locale_of(interaction.locale)
        try:
            run = self.books.redraw(run_id, page)
        except UserBusyError:
            await interaction.response.send_message(text(locale, "busy"), ephemeral=True)
            return
        except StorybotError:
            await interaction.response.send_message(text(locale, "not_running"), ephemeral=True)
            return
        label = page_label(locale, page)
        # Cancel, like a book's: on the note for whoever clicked, and on the book message for
        # the requester and the server's managers (a painter that never finishes holds a lane).
        cancel = book_view(run_id, locale, running=True, retry=False, dm=False)
        await interaction.response.send_message(
            text(locale, "redraw.started", page=label), ephemeral=True, view=cancel
        )
        message = interaction.message
        if message is not None:
            with contextlib.suppress(discord.HTTPException):
                await message.edit(
                    view=book_view(run_id, run.record.locale, running=True, retry=False, dm=False)
                )
        task = asyncio.create_task(self._follow_redraw(run, page, message, interaction, locale))
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def _follow_redraw(
        self,
        run: ActiveBook,
        page: int,
        message: discord.Message | None,
        interaction: discord.Interaction,
        locale: str,
    ) -> None:
        """Swap the page's picture on the book message; offer 📬 for the new copy."""
        record = run.record
        outcome = None
        async for event in run.events():
            outcome = event
        try:
            path = record.pages[page].image_path
            live = self._live.get(record.run_id)
            if isinstance(outcome, Done) and path is not None and live is not None:
                self._undelivered.add(record.run_id)
                await live.apply(PageImage(page=page, path=path))
                live.set_status(text(record.locale, "book.redrawn"))
                done = text(locale, "redraw.done", page=page_label(locale, page))
            elif isinstance(outcome, Done) and message is not None and path is not None:
                # its attachments as they are now, not as the menu's interaction saw them
                message = await message.channel.fetch_message(message.id)
                guild = message.guild
                default = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
                limit = guild.filesize_limit if guild else default
                fitted = await fit_image(path, limit)  # cover.png, or cover.jpg when too big
                kept = [a for a in message.attachments if a.filename.split(".")[0] != path.stem]
                self._undelivered.add(record.run_id)
                await message.edit(
                    embeds=self._redrawn_embeds(record, [*(a.filename for a in kept), fitted.name]),
                    attachments=[*kept, discord.File(fitted, filename=fitted.name)],
                    view=self._view(record, record.locale, finished=True),
                )
                done = text(locale, "redraw.done", page=page_label(locale, page))
            else:
                done = text(locale, "redraw.failed", page=page_label(locale, page))
                if message is not None:  # the book as it was, its buttons back
                    await message.edit(view=self._view(record, record.locale, finished=True))
            if not interaction.is_expired():
                await interaction.followup.send(done, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("Could not show the redrawn page of %s: %s", record.run_id, exc)

    @staticmethod
    def _redrawn_embeds(record: RunRecord, names: list[str]) -> list[discord.Embed]:
        """The finished book's embeds again, each page pointing at its current picture (an
        embed keeps showing a removed attachment's old address otherwise)."""
        assert record.story is not None
        pictures: dict[int, str] = {}
        for index, image in enumerate(IMAGE_NAMES):
            stem = image.split(".")[0]
            found = [name for name in names if name.split(".")[0] == stem]
            if found:
                pictures[index] = found[-1]
        state = MessageState(
            record.locale,
            title=record.story.title,
            texts={page.page: page.text for page in record.story.pages},
            status_line=text(record.locale, "book.redrawn"),
            images_done=len(pictures),
            finished=True,
        )
        return book_embeds(state, pictures)

    async def send_to_dms(self, interaction: discord.Interaction, run_id: str) -> None:
        """📬: send the book to its requester's DMs, whoever pressed it."""
        locale = locale_of(interaction.locale)
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = self.books.record(run_id)
        if record is None or record.requester_id is None:
            await interaction.followup.send(text(locale, "unknown_run"), ephemeral=True)
            return
        try:
            async with self.books.delivery(run_id, remake=True) as book:  # a redraw removed them
                if book is None:
                    await interaction.followup.send(text(locale, "unknown_run"), ephemeral=True)
                    return
                requester = self.bot.get_user(record.requester_id) or await self.bot.fetch_user(
                    record.requester_id
                )
                delivered = await deliver(requester, book, record.locale)
        except Exception as exc:
            log.warning("Could not send book %s again: %s", run_id, exc)
            await interaction.followup.send(text(locale, "dm.failed"), ephemeral=True)
            return
        if delivered:
            self._undelivered.discard(run_id)
        mine = interaction.user.id == record.requester_id
        if delivered:
            key = "dm.sent" if mine else "dm.sent_requester"
        else:
            key = "dm.closed" if mine else "dm.closed_requester"
        await interaction.followup.send(text(locale, key), ephemeral=True)

    async def close(self) -> None:
        for task in list(self._followers):
            task.cancel()
        await asyncio.gather(*self._followers, return_exceptions=True)
