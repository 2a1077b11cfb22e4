"""The story builder: a message that collects the four answers, typed or spoken.

It shows ✅/⬜ per field, a modal to type them, a 🎤 button per field that chooses what the next
voice reply fills, Start (enabled once all four are there) and Cancel. Replies to the message —
text or a voice message — fill the chosen field, or else the first empty one.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord

from storybot.answers.fields import as_text
from storybot.bot.failures import PoliteModal, PoliteView
from storybot.bot.i18n import locale_of, text
from storybot.models import DEFAULT_AGE, FIELD_NAMES

FIELDS = FIELD_NAMES  # the four answers, in the order the builder shows them
BUILDER_TIMEOUT = 30 * 60.0

StartCallback = Callable[[discord.Interaction, "StoryBuilder"], Awaitable[None]]


@dataclass
class StoryBuilder:
    """One requester's answers so far."""

    requester_id: int
    channel_id: int
    locale: str
    values: dict[str, str] = field(default_factory=dict)
    voice: str | None = None
    narration: bool = True
    style: str = "watercolor"  # a preset of IMAGE_STYLES, checked by the cog
    age: str = DEFAULT_AGE  # an AgeBand, checked by StoryRequest
    target: str | None = None  # the field the next reply fills
    last_heard: str = ""
    message: discord.Message | None = None
    touched: float = field(default_factory=time.monotonic)  # for expiry after BUILDER_TIMEOUT

    def touch(self) -> None:
        self.touched = time.monotonic()

    @property
    def complete(self) -> bool:
        return all(self.values.get(name) for name in FIELDS)

    def next_field(self) -> str | None:
        """The field a reply fills: the chosen one, else the first empty one."""
        if self.target is not None:
            return self.target
        return next((name for name in FIELDS if not self.values.get(name)), None)

    def fill(self, name: str, value: str | list[str]) -> None:
        self.values[name] = as_text(value) if isinstance(value, list) else value
        self.target = None
        self.touch()

    def embed(self) -> discord.Embed:
        locale = self.locale
        embed = discord.Embed(title=text(locale, "builder.title"), colour=0x7E57C2)
        for name in FIELDS:
            value = self.values.get(name)
            mark = "✅" if value else "⬜"
            embed.add_field(name=f"{mark} {text(locale, f'field.{name}')}", value=value or "—")
        target = self.next_field()
        hint = (
            text(locale, "builder.hint", field=text(locale, f"field.{target}"))
            if target and not (self.complete and self.target is None)
            else text(locale, "builder.done_hint")
        )
        embed.description = "\n".join(line for line in (self.last_heard, hint) if line)
        return embed


class FieldButton(discord.ui.Button["BuilderView"]):
    """🎤 <field>: the next voice reply fills this field (blue while chosen)."""

    def __init__(self, builder: StoryBuilder, name: str) -> None:
        chosen = builder.target == name
        super().__init__(
            label=f"🎤 {text(builder.locale, f'field.{name}')}",
            style=discord.ButtonStyle.primary if chosen else discord.ButtonStyle.secondary,
            row=1,
        )
        self.field_name = name

    async def callback(self, interaction: discord.Interaction) -> None:
        view = self.view
        assert view is not None
        view.builder.target = self.field_name
        await refresh(interaction, view.builder, view.on_start, view.on_cancel)


class BuilderView(PoliteView):
    """Type it · 🎤 per field · Start · Cancel."""

    def __init__(self, builder: StoryBuilder, on_start: StartCallback, on_cancel: StartCallback):
        super().__init__(timeout=BUILDER_TIMEOUT)
        self.builder = builder
        self.on_start = on_start
        self.on_cancel = on_cancel
        locale = builder.locale
        self.type_it.label = text(locale, "button.type")
        self.start.label = text(locale, "button.start")
        self.start.disabled = not builder.complete
        self.cancel.label = text(locale, "button.cancel")
        # The 🎤 row sits between Type (row 0) and Start/Cancel (row 2).
        for name in FIELDS:
            self.add_item(FieldButton(builder, name))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.builder.requester_id:
            return True
        await interaction.response.send_message(
            text(locale_of(interaction.locale), "only_owner"), ephemeral=True
        )
        return False

    @discord.ui.button(style=discord.ButtonStyle.secondary, row=0)
    async def type_it(
        self, interaction: discord.Interaction, button: discord.ui.Button[BuilderView]
    ) -> None:
        await interaction.response.send_modal(
            BuilderModal(self.builder, self.on_start, self.on_cancel)
        )

    @discord.ui.button(style=discord.ButtonStyle.success, row=2)
    async def start(
        self, interaction: discord.Interaction, button: discord.ui.Button[BuilderView]
    ) -> None:
        self.stop()
        await self.on_start(interaction, self.builder)

    @discord.ui.button(style=discord.ButtonStyle.danger, row=2)
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[BuilderView]
    ) -> None:
        self.stop()
        await self.on_cancel(interaction, self.builder)


class BuilderModal(PoliteModal):
    """Four text inputs, prefilled with what the builder has."""

    def __init__(self, builder: StoryBuilder, on_start: StartCallback, on_cancel: StartCallback):
        super().__init__(title=text(builder.locale, "modal.title"), timeout=BUILDER_TIMEOUT)
        self.builder, self.on_start, self.on_cancel = builder, on_start, on_cancel
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for name in FIELDS:
            box: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=text(builder.locale, f"field.{name}"),
                default=builder.values.get(name) or None,
                required=False,
                max_length=100,
            )
            self.inputs[name] = box
            self.add_item(box)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        from storybot.answers.fields import FieldError, parse_field

        problems = []
        for name, box in self.inputs.items():
            raw = (box.value or "").strip()
            if not raw:
                continue
            try:
                self.builder.fill(name, parse_field(name, raw, language=self.builder.locale))
            except FieldError as exc:
                problems.append(exc.message(self.builder.locale))
        self.builder.last_heard = "\n".join(f"❌ {p}" for p in problems)
        await refresh(interaction, self.builder, self.on_start, self.on_cancel)


async def refresh(
    interaction: discord.Interaction,
    builder: StoryBuilder,
    on_start: StartCallback,
    on_cancel: StartCallback,
) -> None:
    """Redraw the builder message in answer to a button or modal."""
    view = BuilderView(builder, on_start, on_cancel)
    await interaction.response.edit_message(embed=builder.embed(), view=view)
