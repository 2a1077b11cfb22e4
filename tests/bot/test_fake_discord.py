"""The fake Discord, driven by the real, unmodified discord.py client (a tiny bot defined here)."""

from __future__ import annotations

import asyncio
import io
import time

import discord
import numpy as np
import pytest
import soundfile as sf
from discord import app_commands
from discord.ext import commands

from tests.support.fake_discord import EPHEMERAL, FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def ogg_opus(seconds: float = 1.0) -> bytes:
    """A real OGG/Opus clip, as Discord clients upload voice messages (mono 48 kHz)."""
    t = np.arange(int(48000 * seconds)) / 48000
    buf = io.BytesIO()
    sf.write(
        buf,
        (0.3 * np.sin(2 * np.pi * 440 * t)).astype("float32"),
        48000,
        format="OGG",
        subtype="OPUS",
    )
    return buf.getvalue()


class StoryModal(discord.ui.Modal, title="Story topic"):
    topic = discord.ui.TextInput(label="Topic", custom_id="topic", max_length=100)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        interaction.client.topics.append(self.topic.value)  # type: ignore[attr-defined]
        await interaction.response.send_message(f"topic={self.topic.value}", ephemeral=True)


class BookView(discord.ui.View):
    """Persistent: no timeout, fixed custom ids, registered in setup_hook."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Type it", custom_id="book:modal")
    async def open_modal(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.send_modal(StoryModal())

    @discord.ui.button(label="Ping", custom_id="book:ping")
    async def ping(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    @discord.ui.button(label="Next", custom_id="book:next")
    async def next_page(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        page = discord.File(io.BytesIO(PNG), "page2.png")
        kept = interaction.message.attachments  # type: ignore[union-attr]
        await interaction.response.edit_message(content="page 2", attachments=[*kept, page])

    @discord.ui.button(label="Quiet", custom_id="book:quiet")
    async def quiet(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="quietly edited", view=None)


class TinyBot(commands.Bot):
    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.topics: list[str] = []
        self.voice: list[bytes] = []
        self.seen: list[discord.Message] = []
        self.errors: list[BaseException] = []
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

        @self.tree.command(name="story", description="Make a story")
        @app_commands.describe(era="When it happens")
        async def story(interaction: discord.Interaction, era: str, pause: float = 0.0):
            await asyncio.sleep(pause)
            await interaction.response.defer()
            cover = discord.File(io.BytesIO(PNG), "cover.png")
            await interaction.followup.send(f"era={era}", file=cover, view=BookView())

    async def _on_tree_error(self, interaction: discord.Interaction, error: Exception) -> None:
        self.errors.append(error)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False):
        """Skip discord.py's 5 s pause before a re-IDENTIFY (Discord's identify pacing)."""

    async def setup_hook(self) -> None:
        self.add_view(BookView())
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen.append(message)
        if message.flags.voice and message.attachments:
            await message.add_reaction("🎙️")
            self.voice.append(await message.attachments[0].read())
            await message.reply(f"heard {len(self.voice[-1])} bytes")


class ShardedBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False):
        """Skip discord.py's 5 s pause between shards' IDENTIFYs."""


async def started(bot: commands.Bot, token: str) -> asyncio.Task[None]:
    """Start the bot; return its task once ready, or raise what killed it."""
    task = asyncio.create_task(bot.start(token))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await bot.close()
        if task in done:
            task.result()
        raise AssertionError("bot not ready within 5 s")
    return task


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch):
    server = FakeDiscord()
    await server.start()
    server.patch(monkeypatch)
    yield server
    await server.stop()
    assert not server.crashes


@pytest.fixture
async def bot(fake: FakeDiscord):
    client = TinyBot()
    task = await started(client, fake.token)
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)
    assert not client.errors


# -- startup -----------------------------------------------------------------------------------


async def test_login_sync_ready(fake: FakeDiscord, bot: TinyBot) -> None:
    keys = [r.key for r in fake.requests]
    assert keys[:3] == [
        "GET /users/@me",
        "GET /oauth2/applications/@me",
        "PUT /applications/{application_id}/commands",
    ]
    assert bot.application_id == fake.app_id and bot.user.id == fake.bot_user.id
    assert [c["name"] for c in fake.commands[None]] == ["story"]
    identify = next(f for f in fake.gateway.received if f["op"] == 2)["d"]
    assert identify["intents"] & (1 << 15)
    guild = bot.get_guild(fake.guild.id)
    assert guild is not None and guild.me is not None
    assert guild.filesize_limit == 10 * 1024 * 1024
    channel = guild.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel) and channel.name == "stories"
    assert channel.permissions_for(guild.me).attach_files
    assert guild.get_member(fake.alice.id) is None  # no GUILD_PRESENCES: only the bot is listed


async def test_reconnect_resumes(fake: FakeDiscord, bot: TinyBot) -> None:
    resumed = asyncio.create_task(bot.wait_for("resumed", timeout=5))
    await fake.reconnect()
    await resumed
    assert any(f["op"] == 6 for f in fake.gateway.received)
    inter = await fake.invoke_command("story", {"era": "today"})
    assert (await inter.followup()).content == "era=today"


async def test_invalid_session_reidentifies(fake: FakeDiscord, bot: TinyBot) -> None:
    ready = asyncio.create_task(bot.wait_for("ready", timeout=5))
    await fake.invalidate_session(resumable=False)
    await ready
    assert [f["op"] for f in fake.gateway.received].count(2) == 2


async def test_members_intent_chunks_and_autosharding(fake: FakeDiscord) -> None:
    fake.enabled_intents.add("members")
    fake.recommended_shards = 2
    intents = discord.Intents.default()
    intents.members = intents.message_content = True
    client = ShardedBot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    task = await started(client, fake.token)
    try:
        assert client.shard_count == 2 and len(fake.requests_to("GET", "/gateway/bot")) == 1
        guild = client.get_guild(fake.guild.id)
        assert guild.get_member(fake.alice.id) is not None  # GUILD_MEMBERS_CHUNK
        assert guild.shard_id == (fake.guild.id >> 22) % 2
    finally:
        await client.close()
        await task


async def test_fetches_history_reactions_delete(fake: FakeDiscord, bot: TinyBot) -> None:
    guild = await bot.fetch_guild(fake.guild.id)
    assert guild.name == "Story Club"
    channel = await bot.fetch_channel(fake.channel_id)
    member = await bot.get_guild(fake.guild.id).fetch_member(fake.mod.id)
    assert member.guild_permissions.manage_guild and not member.guild_permissions.administrator
    user_msg = await fake.send_message(fake.channel_id, "hello", user=fake.bob)
    mine = await channel.send("hi")
    assert [m.id async for m in channel.history(limit=5)] == [mine.id, user_msg.id]
    fetched = await channel.fetch_message(user_msg.id)
    await fetched.add_reaction("📖")
    await fetched.remove_reaction("📖", bot.user)
    with pytest.raises(discord.HTTPException) as caught:
        await fetched.add_reaction("book")
    assert caught.value.code == 10014
    with pytest.raises(discord.Forbidden):
        await fetched.delete()  # someone else's message, no Manage Messages
    with pytest.raises(discord.Forbidden) as caught:
        await fetched.edit(content="mine now")
    assert caught.value.code == 50005
    await mine.delete()
    assert fake.message(mine.id).deleted and fake.message(user_msg.id).reactions == {"📖": []}


# -- interactions ------------------------------------------------------------------------------


async def test_slash_command_defer_then_followup_with_file(fake: FakeDiscord, bot: TinyBot):
    inter = await fake.invoke_command("story", {"era": "조선시대"}, locale="ko")
    assert (await inter.response())["type"] == 5
    msg = await inter.followup()
    assert msg.id == inter.original_id  # the first followup fills the deferred message
    assert not msg.loading and msg.content == "era=조선시대"
    assert msg.attachment_names == ["cover.png"] and msg.attachments[0].data == PNG
    assert [b["custom_id"] for b in msg.buttons][:2] == ["book:modal", "book:ping"]
    assert fake.messages_in(fake.channel_id) == [msg]
    sent = fake.requests_to("POST", "/webhooks/{application_id}/{token}")[0]
    assert sent.json["content"] == "era=조선시대"
    assert [(f.name, f.filename, f.size) for f in sent.files] == [("files[0]", "cover.png", 72)]
    with pytest.raises(ValueError, match="needs"):
        await fake.invoke_command("story", {})
    webhook = discord.Webhook.partial(fake.app_id, inter.token, client=bot)
    original = await webhook.fetch_message(inter.original_id)
    wav = discord.File(io.BytesIO(b"RIFF"), "page1.wav")
    await original.edit(content="page 1", attachments=[*original.attachments, wav])
    assert msg.attachment_names == ["cover.png", "page1.wav"] and msg.edited_at is not None
    await webhook.delete_message(inter.original_id)
    assert msg.deleted and fake.messages_in(fake.channel_id) == []


async def test_guild_scoped_sync(fake: FakeDiscord, bot: TinyBot) -> None:
    guild = discord.Object(fake.guild.id)
    bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)
    assert synced[0].guild_id == fake.guild.id and synced[0].id != int(fake.commands[None][0]["id"])
    inter = await fake.invoke_command("story", {"era": "guild"})
    assert inter.data["guild_id"] == str(fake.guild.id)
    assert (await inter.followup()).content == "era=guild"


async def test_command_in_dm(fake: FakeDiscord, bot: TinyBot) -> None:
    inter = await fake.invoke_command("story", {"era": "dm"}, guild=False, user=fake.bob)
    msg = await inter.followup()
    assert msg.channel_id == fake.dm_channel(fake.bob).id and msg.guild_id is None


async def test_persistent_button_modal_and_ephemeral_reply(fake: FakeDiscord, bot: TinyBot):
    book = await (await fake.invoke_command("story", {"era": "1920s"})).followup()
    press = await fake.click_button(book.id, "book:modal", user=fake.bob)
    assert (await press.response())["type"] == 9 and press.modal["title"] == "Story topic"
    modal_id = press.modal["custom_id"]
    submit = await fake.submit_modal(modal_id, {"topic": "friendship"}, user=fake.bob)
    reply = await submit.wait(lambda i: i.original)
    assert reply.content == "topic=friendship" and reply.flags & EPHEMERAL
    assert bot.topics == ["friendship"]
    assert reply not in fake.messages_in(fake.channel_id)  # only bob sees it
    ping = await fake.click_button(book.id, "book:ping")
    assert (await ping.wait(lambda i: i.original)).content == "pong"
    turn = await fake.click_button(book.id, "book:next")
    assert (await turn.response())["type"] == 7
    await fake.wait_for(lambda: book.content == "page 2")
    assert book.attachment_names == ["cover.png", "page2.png"]
    quiet = await fake.click_button(book.id, "book:quiet")
    assert (await quiet.response())["type"] == 6
    await fake.wait_for(lambda: book.content == "quietly edited")
    assert book.components == [] and book.attachment_names == ["cover.png", "page2.png"]
    with pytest.raises(LookupError):
        await fake.click_button(book.id, "no-such-button")


async def test_persistent_button_survives_a_restart(fake: FakeDiscord, bot: TinyBot) -> None:
    book = await (await fake.invoke_command("story", {"era": "before"})).followup()
    await bot.close()
    await fake.wait_for(lambda: not fake.gateway.connected)
    again = TinyBot()
    task = await started(again, fake.token)
    try:
        ping = await fake.click_button(book.id, "book:ping", user=fake.mod)
        assert (await ping.wait(lambda i: i.original)).content == "pong"
    finally:
        await again.close()
        await task


async def test_late_ack_is_unknown_interaction(fake: FakeDiscord, bot: TinyBot) -> None:
    fake.interaction_ack_deadline = 0.1
    inter = await fake.invoke_command("story", {"era": "late", "pause": 0.2})
    await fake.wait_for(lambda: bot.errors, timeout=3)
    error = bot.errors.pop().original  # type: ignore[attr-defined]
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert inter.failed


async def test_interaction_token_expires_after_15_minutes(fake: FakeDiscord, bot: TinyBot):
    inter = await fake.invoke_command("story", {"era": "long"})
    await inter.followup()
    fake.advance_clock(16 * 60)
    webhook = discord.Webhook.partial(fake.app_id, inter.token, client=bot)
    with pytest.raises(discord.HTTPException) as caught:
        await webhook.edit_message(inter.original_id, content="too late")
    assert caught.value.status == 401 and caught.value.code == 50027
    channel = bot.get_channel(fake.channel_id)
    msg = await channel.send("book")  # channel messages live on
    await msg.edit(content="book, page 2")
    assert fake.message(msg.id).content == "book, page 2"


# -- messages ----------------------------------------------------------------------------------


async def test_voice_message_is_downloaded(fake: FakeDiscord, bot: TinyBot) -> None:
    clip = ogg_opus()
    prompt = await bot.get_channel(fake.channel_id).send("reply with your voice")
    voice = await fake.send_message(
        fake.channel_id, attachments=[("rec.ogg", clip)], voice=True, reply_to=prompt.id
    )
    reply = await fake.wait_for_message(fake.channel_id, lambda m: m.reference_id == voice.id)
    assert bot.voice == [clip] and reply.content == f"heard {len(clip)} bytes"
    seen = bot.seen[-1]
    assert seen.flags.voice and seen.attachments[0].is_voice_message()
    assert seen.attachments[0].duration == 1.0 and seen.reference.message_id == prompt.id
    assert fake.message(voice.id).reactions == {"🎙️": [fake.bot_user.id]}
    assert any(r.route == "/cdn" and r.status == 200 for r in fake.requests)


async def test_message_content_intent_gates_guild_messages(fake: FakeDiscord) -> None:
    client = TinyBot(message_content=False)
    task = await started(client, fake.token)
    try:
        await fake.send_message(fake.channel_id, attachments=[("a.ogg", ogg_opus())], voice=True)
        await fake.wait_for(lambda: client.seen)
        assert client.seen[0].attachments == [] and client.voice == []
    finally:
        await client.close()
        await task


async def test_edit_keeps_listed_attachments_and_adds_new(fake: FakeDiscord, bot: TinyBot):
    channel = bot.get_channel(fake.channel_id)
    msg = await channel.send("page 1", file=discord.File(io.BytesIO(PNG), "p1.png"))
    msg = await msg.edit(
        attachments=[*msg.attachments, discord.File(io.BytesIO(b"RIFF"), "p1.wav")]
    )
    assert [a.filename for a in msg.attachments] == ["p1.png", "p1.wav"]
    assert fake.message(msg.id).attachment_names == ["p1.png", "p1.wav"]
    assert await msg.attachments[1].read() == b"RIFF"
    msg = await msg.edit(attachments=[discord.File(io.BytesIO(PNG), "only.png")])
    assert fake.message(msg.id).attachment_names == ["only.png"]
    assert [r.attachments for r in fake.message(msg.id).revisions] == [
        ["p1.png"],
        ["p1.png", "p1.wav"],
        ["only.png"],
    ]


async def test_attachment_count_and_size_limits(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    files = [discord.File(io.BytesIO(PNG), f"{i}.png") for i in range(11)]
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(files=files)
    assert (caught.value.status, caught.value.code) == (400, 30015)
    big = bytes(10 * 1024 * 1024 + 1)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(file=discord.File(io.BytesIO(big), "big.png"))
    assert (caught.value.status, caught.value.code) == (413, 40005)
    assert fake.messages_in(fake.channel_id) == []
    await fake.set_premium_tier(2)
    await fake.wait_for(lambda: channel.guild.filesize_limit == 50 * 1024 * 1024)
    await channel.send(file=discord.File(io.BytesIO(big), "big.png"))


async def test_content_and_embed_limits(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert caught.value.code == 50035 and "content" in caught.value.text
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(embed=discord.Embed(description="x" * 4097))
    assert caught.value.code == 50035 and "embeds.0.description" in caught.value.text
    embed = discord.Embed(title="t" * 256, description="d" * 4096)
    for _ in range(2):
        embed.add_field(name="n", value="v" * 1024)
    with pytest.raises(discord.HTTPException, match="6000"):
        await channel.send(embed=embed)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send()
    assert caught.value.code == 50006


async def test_dm_closed_is_forbidden_50007(fake: FakeDiscord, bot: TinyBot) -> None:
    fake.dms_closed.add(fake.alice.id)
    alice = await bot.fetch_user(fake.alice.id)
    with pytest.raises(discord.Forbidden) as caught:
        await alice.send("your book")
    assert caught.value.code == 50007
    bob = await bot.fetch_user(fake.bob.id)
    await bob.send("your book", file=discord.File(io.BytesIO(PNG), "book.png"))
    assert [m.attachment_names for m in fake.dms(fake.bob)] == [["book.png"]]
    assert fake.dms(fake.alice) == []


async def test_missing_permissions_is_forbidden_50013(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    await fake.set_bot_permissions(fake.channel_id, deny=["attach_files"])
    await fake.wait_for(lambda: not channel.permissions_for(channel.guild.me).attach_files)
    await channel.send("text is fine")
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send(file=discord.File(io.BytesIO(PNG), "p.png"))
    assert caught.value.code == 50013
    inter = await fake.invoke_command("story", {"era": "x"})
    assert not int(inter.payload()["app_permissions"]) & (1 << 15)
    followup = await inter.followup()  # interaction responses need no channel permissions
    assert followup.attachment_names == ["cover.png"]


# -- rate limits and errors --------------------------------------------------------------------


async def test_rapid_edits_get_429_and_discord_py_retries(fake: FakeDiscord, bot: TinyBot):
    fake.ratelimits.edit_window = 0.3
    msg = await bot.get_channel(fake.channel_id).send("0")
    start = time.monotonic()
    for i in range(1, 8):
        msg = await msg.edit(content=str(i))
    assert time.monotonic() - start >= 0.2
    assert fake.message(msg.id).content == "7"
    statuses = [
        r.status for r in fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
    ]
    assert 429 in statuses and statuses.count(200) == 7


async def test_429_needs_via_to_be_retried(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    fake.inject_429("POST /channels/{channel_id}/messages", 0.05)
    await channel.send("retried")
    fake.inject_429("POST /channels/{channel_id}/messages", 0.05, via=False)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("banned")
    assert caught.value.status == 429
    assert [m.content for m in fake.messages_in(fake.channel_id)] == ["retried"]


async def test_unknown_route_and_message_are_not_found(fake: FakeDiscord, bot: TinyBot):
    with pytest.raises(discord.NotFound) as caught:
        await bot.http.request(discord.http.Route("GET", "/no/such/route"))
    assert caught.value.text == "404: Not Found"
    with pytest.raises(discord.NotFound) as caught:
        await bot.get_channel(fake.channel_id).fetch_message(12345)
    assert caught.value.code == 10008


async def test_wrong_token_fails_login_and_identify(fake: FakeDiscord) -> None:
    client = TinyBot()
    with pytest.raises(discord.LoginFailure):
        await client.start("wrong-token")
    await client.close()
    client = TinyBot()
    await client.login(fake.token)
    client.http.token = "wrong-token"  # REST accepted the token; the gateway gets another
    with pytest.raises(discord.ConnectionClosed) as caught:
        await client.connect(reconnect=False)
    assert caught.value.code == 4004
    await client.close()


async def test_message_content_not_enabled_in_portal(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeDiscord(enabled_intents=())
    await server.start()
    server.patch(monkeypatch)
    client = TinyBot()
    try:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.start(server.token), 5)
    finally:
        await client.close()
        await server.stop()
