"""The Discord adapter: /story, /books and voice replies. Thin: the work is done elsewhere."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks
from pydantic import ValidationError

from storybot.answers.fields import FieldError, parse_field
from storybot.bot.builder import BUILDER_TIMEOUT, FIELDS, BuilderView, StoryBuilder
from storybot.bot.failures import PoliteView, answer
from storybot.bot.i18n import command_description, command_name, locale_of, text
from storybot.engines.stt.decode import AudioError
from storybot.engines.styles import DEFAULT_STYLE, Style, load_styles
from storybot.errors import StorybotError
from storybot.models import AGE_BANDS, DEFAULT_AGE, Status, StoryRequest, Voice

if TYPE_CHECKING:
    from storybot.bot.client import StoryBot

log = logging.getLogger(__name__)

OPTIONS = (*FIELDS, "voice", "narration", "style", "age", "sequel")
"""/story's options, in order; their names and descriptions are COMMAND_TEXTS keys."""
VOICE_PROBLEMS = ("too_big", "too_long", "not_audio", "corrupt", "silent")
"""Problems of a clip (AudioError.problem) that the user is told about in their words."""


def age_choices() -> list[app_commands.Choice[str]]:
    """The /story age choices: "3~5세" in Korean, "Ages 3–5" for English clients."""
    return [
        app_commands.Choice(
            name=app_commands.locale_str(
                f"{band.replace('-', '~')}세", en=f"Ages {band.replace('-', '–')}"
            ),
            value=band,
        )
        for band in AGE_BANDS
    ]


def is_audio(attachment: discord.Attachment) -> bool:
    """A voice message, or any audio file."""
    kind = (attachment.content_type or "").split(";")[0]
    return attachment.is_voice_message() or kind.startswith("audio/")


class StoryCog(commands.Cog):
    """Slash commands and the replies that fill a story builder."""

    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot
        self.builders: dict[int, StoryBuilder] = {}  # builder message id → builder
        self.answers: dict[int, tuple[StoryBuilder, str]] = {}  # reply id → what it filled
        self.words = bot.settings.field_words_file  # the operator's names for Kiwi
        # /story's style choices come from the styles file (IMAGE_STYLES), read at start-up.
        # discord.py shares the parameter with the class's command: the last cog made wins.
        self.styles = load_styles(bot.settings.image_styles)
        app_commands.choices(style=style_choices(self.styles))(self.story)

    async def cog_load(self) -> None:
        self.expire_builders.start()

    async def cog_unload(self) -> None:
        self.expire_builders.cancel()

    @tasks.loop(seconds=60)
    async def expire_builders(self) -> None:
        await self.expire_idle(time.monotonic())

    async def expire_idle(self, now: float) -> list[StoryBuilder]:
        """Close builders nobody touched for BUILDER_TIMEOUT: the message says so, and the
        builder and its answers are dropped from memory."""
        expired = [b for b in self.builders.values() if now - b.touched >= BUILDER_TIMEOUT]
        for builder in expired:
            self.forget(builder)
            if builder.message is None:
                continue
            try:
                await builder.message.edit(
                    content=text(builder.locale, "builder.expired"), embed=None, view=None
                )
            except discord.HTTPException as exc:  # deleted meanwhile: nothing to say
                log.info("Could not close builder %s: %s", builder.message.id, exc)
        return expired

    @app_commands.command(
        name=command_name("story.name"), description=command_description("story.description")
    )
    @app_commands.describe(
        **{option: command_description(f"story.{option}.description") for option in OPTIONS}
    )
    @app_commands.rename(**{option: command_name(f"story.{option}.name") for option in OPTIONS})
    @app_commands.choices(age=age_choices())
    # The book message needs these; files are checked when the book starts (the builder
    # needs none), by the runner.
    @app_commands.checks.bot_has_permissions(send_messages=True, embed_links=True)
    async def story(
        self,
        interaction: discord.Interaction,
        era: app_commands.Range[str, 1, 100] | None = None,
        place: app_commands.Range[str, 1, 100] | None = None,
        characters: app_commands.Range[str, 1, 100] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
        voice: Voice | None = None,
        narration: bool = True,
        style: str | None = None,
        age: str | None = None,
        sequel: str | None = None,
    ) -> None:
        """Make a picture book; missing answers are asked for with a story builder. With
        `sequel` (one of the user's finished books), the next adventure of its friends."""
        locale = locale_of(interaction.locale)
        if sequel is not None:
            await self.start_sequel(interaction, sequel, era=era, place=place, topic=topic)
            return
        if style is not None and style not in self.styles:  # a stale choice Discord still had
            choices = ", ".join(s.label(locale) for s in self.styles.values())
            await interaction.response.send_message(
                text(locale, "style.unknown", style=style, choices=choices), ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        builder = StoryBuilder(
            interaction.user.id,
            interaction.channel_id or 0,
            locale,
            voice=voice,
            narration=narration,
            style=style or DEFAULT_STYLE,
            age=age or DEFAULT_AGE,
        )
        for name, raw in zip(FIELDS, (era, place, characters, topic), strict=True):
            if raw and raw.strip():
                try:
                    builder.fill(name, parse_field(name, raw, language=locale, words=self.words))
                except FieldError:
                    builder.values[name] = raw.strip()  # typed by hand: keep it as it is
        if builder.complete:
            await self.start(interaction, builder)
            return
        await self.open_builder(interaction, builder)

    @story.autocomplete("sequel")
    async def sequel_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The user's finished books whose titles hold what they typed, newest first."""
        books = self.bot.books.followable(interaction.user.id)
        wanted = current.strip().lower()
        return [
            app_commands.Choice(name=r.story.title[:100], value=r.run_id)  # type: ignore[union-attr]
            for r in books
            if wanted in r.story.title.lower()  # type: ignore[union-attr]
        ][:25]

    async def start_sequel(
        self, interaction: discord.Interaction, run_id: str, **answers: str | None
    ) -> None:
        """The next adventure of `run_id`'s friends (the user's own finished book)."""
        locale = locale_of(interaction.locale)
        try:
            request = self.bot.books.sequel_request(
                run_id, requester_id=interaction.user.id, **answers
            )
        except StorybotError:
            await answer(interaction, text(locale, "unknown_run"))
            return
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.runner.start(interaction, request, request.language)

    async def open_builder(self, interaction: discord.Interaction, builder: StoryBuilder) -> None:
        """Post the builder message in the channel (replies to it fill the answers)."""
        channel = interaction.channel
        assert channel is not None
        view = BuilderView(builder, self.start_from_button, self.cancel_builder)
        try:
            message = await channel.send(  # type: ignore[union-attr]
                content=interaction.user.mention, embed=builder.embed(), view=view
            )
        except discord.Forbidden:  # an overwrite Discord did not tell us about
            missing = "send_messages, embed_links"
            await interaction.followup.send(
                text(builder.locale, "no_permission", missing=missing), ephemeral=True
            )
            return
        builder.message = message
        self.builders[message.id] = builder
        await interaction.followup.send(f"📝 {message.jump_url}", ephemeral=True)

    async def start_from_button(
        self, interaction: discord.Interaction, builder: StoryBuilder
    ) -> None:
        await interaction.response.edit_message(view=None)
        self.forget(builder)
        await self.start(interaction, builder)

    async def cancel_builder(self, interaction: discord.Interaction, builder: StoryBuilder) -> None:
        self.forget(builder)
        await interaction.response.edit_message(
            content=text(builder.locale, "cancelled_builder"), embed=None, view=None
        )

    def forget(self, builder: StoryBuilder) -> None:
        """The builder is used up: replies to it (or to its answers) fill nothing any more."""
        if builder.message is not None:
            self.builders.pop(builder.message.id, None)
        for reply_id, (owner, _filled) in list(self.answers.items()):
            if owner is builder:
                del self.answers[reply_id]

    async def start(self, interaction: discord.Interaction, builder: StoryBuilder) -> None:
        """Make the builder's book; the interaction is answered (deferred) already."""
        try:
            request = StoryRequest(
                **{name: builder.values[name] for name in FIELDS},
                language=builder.locale,  # type: ignore[arg-type]
                voice=builder.voice,  # type: ignore[arg-type]
                narration=builder.narration,
                style=builder.style,
                age=builder.age,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            await interaction.followup.send(str(exc.errors()[0]["msg"]), ephemeral=True)
            return
        await self.bot.runner.start(interaction, request, builder.locale)

    @app_commands.command(
        name=command_name("books.name"), description=command_description("books.description")
    )
    async def books(self, interaction: discord.Interaction) -> None:
        """List my recent books; pick one to get it in DMs again."""
        locale = locale_of(interaction.locale)
        records = [
            r
            for r in self.bot.books.recent(interaction.user.id, limit=10)
            if r.status is Status.DONE and r.story is not None
        ]
        if not records:
            await interaction.response.send_message(text(locale, "books.none"), ephemeral=True)
            return
        lines = [f"**{r.story.title}** · {r.created_at:%Y-%m-%d}" for r in records]  # type: ignore[union-attr]
        view = BookListView(self, records, locale)
        await interaction.response.send_message(
            embed=discord.Embed(title=text(locale, "books.title"), description="\n".join(lines)),
            view=view,
            ephemeral=True,
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Replies to a builder: a voice message or text fills the next answer; a reply to
        an earlier answer redoes the field that answer filled."""
        reference = message.reference
        if message.author.bot or reference is None or reference.message_id is None:
            return
        builder = self.builders.get(reference.message_id)
        target = builder.next_field() if builder is not None else None
        if builder is None and reference.message_id in self.answers:
            builder, target = self.answers[reference.message_id]
        if builder is None or target is None or message.author.id != builder.requester_id:
            return
        builder.touch()
        locale = builder.locale
        if message.attachments:
            audio = next((a for a in message.attachments if is_audio(a)), None)
            if audio is None:
                await message.reply(text(locale, "voice.not_audio"), mention_author=False)
                return
            await self.hear(message, audio, builder, target)
        elif message.content.strip():
            try:
                builder.fill(
                    target, parse_field(target, message.content, language=locale, words=self.words)
                )
            except FieldError as exc:
                await message.reply(exc.message(locale), mention_author=False)
                return
            builder.last_heard = text(locale, "builder.typed", text=builder.values[target])
            self.answers[message.id] = (builder, target)
            await self.redraw(builder)

    async def hear(
        self,
        message: discord.Message,
        audio: discord.Attachment,
        builder: StoryBuilder,
        target: str,
    ) -> None:
        """Transcribe a voice reply and fill `target` with what was heard."""
        locale = builder.locale
        await _react(message, "🎙️")
        try:
            if audio.size > self.bot.settings.stt_max_bytes:
                raise AudioError(f"{audio.size} bytes is too big", problem="too_big")
            data = await audio.read()
            heard = await self.bot.transcriber.transcribe(
                data, language=locale, filename=audio.filename
            )
            value = parse_field(target, heard.text, language=locale, words=self.words)
        except (StorybotError, discord.HTTPException) as exc:
            await _unreact(message, "🎙️", self.bot.user)
            await _react(message, "❌")
            reason = self.voice_problem(locale, exc)
            await message.reply(text(locale, "voice.failed", reason=reason), mention_author=False)
            return
        builder.fill(target, value)
        builder.last_heard = text(
            locale, "builder.heard", text=builder.values[target], confidence=heard.confidence
        )
        self.answers[message.id] = (builder, target)
        await _unreact(message, "🎙️", self.bot.user)
        await self.redraw(builder)

    def voice_problem(self, locale: str, exc: Exception) -> str:
        """Why a voice reply was not understood, in the user's words."""
        if isinstance(exc, FieldError):
            return exc.message(locale)  # in the user's language, whatever the answer's letters
        if isinstance(exc, AudioError) and exc.problem in VOICE_PROBLEMS:
            seconds = self.bot.settings.stt_max_seconds
            return text(locale, f"voice.problem.{exc.problem}", seconds=seconds)
        log.warning("Voice reply not transcribed: %s", exc)  # the engine, not the clip
        return text(locale, "voice.problem.other")

    async def redraw(self, builder: StoryBuilder) -> None:
        if builder.message is None:
            return
        view = BuilderView(builder, self.start_from_button, self.cancel_builder)
        try:
            builder.message = await builder.message.edit(embed=builder.embed(), view=view)
        except discord.HTTPException as exc:
            log.warning("Could not redraw builder %s: %s", builder.message.id, exc)


class BookListView(PoliteView):
    """A menu of the requester's books: one sends a book to their DMs again, the other starts
    the next adventure of a book's friends."""

    def __init__(self, cog: StoryCog, records: list[Any], locale: str) -> None:
        super().__init__(timeout=300)
        self.cog, self.bot = cog, cog.bot
        options = [discord.SelectOption(label=r.story.title[:100], value=r.run_id) for r in records]
        self.pick.placeholder = text(locale, "books.pick")
        self.pick.options = options
        self.next_adventure.placeholder = text(locale, "books.next")
        self.next_adventure.options = [
            discord.SelectOption(label=o.label, value=o.value) for o in options
        ]

    @discord.ui.select(options=[])
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[BookListView]
    ) -> None:
        run_id = select.values[0]
        record = self.bot.books.record(run_id)
        if (
            record is None
            or record.requester_id != interaction.user.id
            or self.bot.books.finished_book(run_id) is None
        ):
            await interaction.response.send_message(
                text(locale_of(interaction.locale), "unknown_run"), ephemeral=True
            )
            return
        await self.bot.runner.send_to_dms(interaction, run_id)

    @discord.ui.select(options=[])
    async def next_adventure(
        self, interaction: discord.Interaction, select: discord.ui.Select[BookListView]
    ) -> None:
        await self.cog.start_sequel(interaction, select.values[0])


def style_choices(styles: dict[str, Style]) -> list[app_commands.Choice[str]]:
    """The /story style choices: Korean labels, English ones for English clients."""
    return [
        app_commands.Choice(
            name=app_commands.locale_str(style.label_ko, en=style.label_en), value=name
        )
        for name, style in styles.items()
    ]


async def _react(message: discord.Message, emoji: str) -> None:
    with contextlib.suppress(discord.HTTPException):  # reactions are a courtesy
        await message.add_reaction(emoji)


async def _unreact(message: discord.Message, emoji: str, me: Any) -> None:
    with contextlib.suppress(discord.HTTPException):
        await message.remove_reaction(emoji, me)
