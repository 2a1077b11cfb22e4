"""The book message's buttons: persistent (custom_id carries the run id), so they survive a
restart. Only the requester, or a member who may manage the server, may press them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from storybot.bot.book_render import page_label
from storybot.bot.failures import report
from storybot.bot.i18n import locale_of, text
from storybot.models import PAGE_COUNT

if TYPE_CHECKING:
    from storybot.bot.client import StoryBot

Button = discord.ui.Button[Any]
RUN_ID = r"(?P<run_id>[0-9]{8}_[0-9]{6}_[0-9a-f]{6})"


def may_control(interaction: discord.Interaction, requester_id: int | None) -> bool:
    """The requester, or a member with Manage Server."""
    user = interaction.user
    if requester_id is not None and user.id == requester_id:
        return True
    permissions = getattr(user, "guild_permissions", None)
    return bool(permissions and permissions.manage_guild)


class _RunItem:
    """An item bound to one run (mixed into a DynamicItem): rebuilt from its custom_id after
    a restart, and usable only by the requester or a member who may manage the server."""

    run_id: str

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Any:
        return cls(match["run_id"], locale_of(interaction.locale))

    async def callback(self, interaction: discord.Interaction) -> None:
        """discord.py only logs what a dynamic item raises; here the user hears of it too."""
        try:
            await self.pressed(interaction)
        except Exception as exc:
            await report(interaction, exc, f"{type(self).__name__}", self.run_id)

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        bot: StoryBot = interaction.client  # type: ignore[assignment]
        record = bot.books.record(self.run_id)
        requester = record.requester_id if record else None
        if may_control(interaction, requester):
            return True
        await interaction.response.send_message(
            text(locale_of(interaction.locale), "only_owner"), ephemeral=True
        )
        return False


class _RunButton(_RunItem):
    """A button bound to one run; subclasses say what it does."""

    action = ""
    style = discord.ButtonStyle.secondary
    label_key = ""

    def __init__(self, run_id: str, locale: str = "ko") -> None:
        super().__init__(  # type: ignore[call-arg]
            discord.ui.Button(
                style=self.style,
                label=text(locale, self.label_key),
                custom_id=f"storybot:{self.action}:{run_id}",
            )
        )
        self.run_id = run_id


class CancelButton(
    _RunButton, discord.ui.DynamicItem[Button], template=rf"storybot:cancel:{RUN_ID}"
):
    action, style, label_key = "cancel", discord.ButtonStyle.danger, "button.cancel"

    async def pressed(self, interaction: discord.Interaction) -> None:
        bot: StoryBot = interaction.client  # type: ignore[assignment]
        await bot.runner.cancel(interaction, self.run_id)


class RetryButton(_RunButton, discord.ui.DynamicItem[Button], template=rf"storybot:retry:{RUN_ID}"):
    action, style, label_key = "retry", discord.ButtonStyle.primary, "button.retry"

    async def pressed(self, interaction: discord.Interaction) -> None:
        bot: StoryBot = interaction.client  # type: ignore[assignment]
        await bot.runner.retry(interaction, self.run_id)


class DeliverButton(_RunButton, discord.ui.DynamicItem[Button], template=rf"storybot:dm:{RUN_ID}"):
    action, style, label_key = "dm", discord.ButtonStyle.success, "button.dm"

    async def pressed(self, interaction: discord.Interaction) -> None:
        bot: StoryBot = interaction.client  # type: ignore[assignment]
        await bot.runner.send_to_dms(interaction, self.run_id)


class RedrawSelect(
    _RunItem, discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"storybot:redraw:{RUN_ID}"
):
    """🎨 Draw one page again: a menu of the pages; the chosen one is redrawn in place."""

    def __init__(self, run_id: str, locale: str = "ko") -> None:
        options = [
            discord.SelectOption(label=page_label(locale, page), value=str(page))
            for page in range(PAGE_COUNT)
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"storybot:redraw:{run_id}",
                placeholder=text(locale, "redraw.placeholder"),
                options=options,
            )
        )
        self.run_id = run_id

    async def pressed(self, interaction: discord.Interaction) -> None:
        bot: StoryBot = interaction.client  # type: ignore[assignment]
        await bot.runner.redraw(interaction, self.run_id, int(self.item.values[0]))


PERSISTENT_ITEMS = (CancelButton, RetryButton, DeliverButton, RedrawSelect)


def book_view(
    run_id: str, locale: str, *, running: bool, retry: bool, dm: bool, redraw: bool = False
) -> discord.ui.View:
    """The buttons (and the redraw menu) a book message shows in its current state."""
    view = discord.ui.View(timeout=None)
    if running:
        view.add_item(CancelButton(run_id, locale))
    if retry:
        view.add_item(RetryButton(run_id, locale))
    if dm:
        view.add_item(DeliverButton(run_id, locale))
    if redraw:
        view.add_item(RedrawSelect(run_id, locale))
    return view
