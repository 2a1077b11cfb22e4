"""A protocol-true fake Discord (REST /api/v10, gateway websocket, CDN) on 127.0.0.1.

The real, unmodified discord.py client talks to it (see shared/specs/discord.md):

    fake = FakeDiscord()
    await fake.start()
    fake.patch(monkeypatch)                 # Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY
    bot = make_bot(guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(fake.token))
    await bot.wait_until_ready()
    inter = await fake.invoke_command("story", {"era": "조선시대"}, user=fake.alice)
    assert (await inter.response())["type"] == 5
    book = await fake.wait_for_message(fake.channel_id, lambda m: m.attachments)
"""

from ._interactions import FakeInteraction
from ._limits import ApiError
from ._model import (
    EPHEMERAL,
    INTENTS,
    IS_VOICE_MESSAGE,
    LOADING,
    PERMISSIONS,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
    FakeUser,
    RecordedFile,
    RecordedRequest,
    Revision,
)
from ._server import FakeDiscord

__all__ = [
    "EPHEMERAL",
    "INTENTS",
    "IS_VOICE_MESSAGE",
    "LOADING",
    "PERMISSIONS",
    "ApiError",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeInteraction",
    "FakeMessage",
    "FakeUser",
    "RecordedFile",
    "RecordedRequest",
    "Revision",
]
