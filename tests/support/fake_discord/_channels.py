"""Channel routes: DMs, messages (send, fetch, edit, delete, history), typing and reactions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from . import _payloads as P
from ._limits import (
    UNKNOWN_CHANNEL,
    UNKNOWN_EMOJI,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    ApiError,
    dm_closed,
    json_response,
    missing_access,
    missing_permissions,
    not_found,
)
from ._messages import create_message, edit_message
from ._model import DEFAULT_FILESIZE_LIMIT, PERMISSIONS, FakeChannel, FakeMessage

if TYPE_CHECKING:
    from ._rest import Call
    from ._server import FakeDiscord

MAX_REACTIONS = 20


def _channel(fake: FakeDiscord, call: Call) -> FakeChannel:
    channel = fake.channels.get(int(call.params["channel_id"]))
    if channel is None:
        raise not_found(*UNKNOWN_CHANNEL)
    if not _perms(fake, channel) & PERMISSIONS["view_channel"]:
        raise missing_access()
    return channel


def _perms(fake: FakeDiscord, channel: FakeChannel) -> int:
    return P.permissions_in(fake, fake.bot_user.id, channel)


def _require(fake: FakeDiscord, channel: FakeChannel, *names: str) -> None:
    perms = _perms(fake, channel)
    if any(not perms & PERMISSIONS[name] for name in names):
        raise missing_permissions()


def _limit(fake: FakeDiscord, channel: FakeChannel) -> int:
    return fake.guild.filesize_limit if channel.guild_id else DEFAULT_FILESIZE_LIMIT


def _message(fake: FakeDiscord, call: Call, channel: FakeChannel) -> FakeMessage:
    msg = fake.messages.get(int(call.params["message_id"]))
    if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
        raise not_found(*UNKNOWN_MESSAGE)
    return msg


async def open_dm(fake: FakeDiscord, call: Call) -> web.Response:
    payload = call.payload if isinstance(call.payload, dict) else {}
    try:
        user = fake.users.get(int(payload.get("recipient_id")))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise not_found(*UNKNOWN_USER)
    if user.bot:
        raise dm_closed()
    return json_response(P.channel(fake, fake.dm_channel(user)))


async def get_channel(fake: FakeDiscord, call: Call) -> web.Response:
    return json_response(P.channel(fake, _channel(fake, call)))


async def history(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    if channel.guild_id:
        _require(fake, channel, "read_message_history")
    limit = min(max(int(call.query.get("limit", 50)), 1), 100)
    before = int(call.query.get("before", 1 << 63))
    after = int(call.query.get("after", 0))
    found = [
        m
        for m in fake.messages.values()
        if m.channel_id == channel.id
        and not m.deleted
        and not m.ephemeral
        and after < m.id < before
    ]
    found.sort(key=lambda m: m.id, reverse=not call.query.get("after"))
    found = found[:limit]
    found.sort(key=lambda m: m.id, reverse=True)
    return json_response([P.message(fake, m) for m in found])


async def send(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    payload = call.payload if isinstance(call.payload, dict) else {}
    if channel.type == 1 and channel.recipient_id in fake.dms_closed:
        raise dm_closed()
    if channel.guild_id:
        needed = ["send_messages"]
        if call.body.uploads:
            needed.append("attach_files")
        if payload.get("embeds"):
            needed.append("embed_links")
        if payload.get("message_reference"):
            needed.append("read_message_history")
        _require(fake, channel, *needed)
    msg = create_message(fake, channel, fake.bot_user.id, call.body, limit=_limit(fake, channel))
    await fake.gateway.message_event("MESSAGE_CREATE", msg)
    return json_response(P.message(fake, msg))


async def typing(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    if channel.guild_id:
        _require(fake, channel, "send_messages")
    return web.Response(status=204)


async def get_message(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    if channel.guild_id:
        _require(fake, channel, "read_message_history")
    return json_response(P.message(fake, _message(fake, call, channel)))


async def edit(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    msg = _message(fake, call, channel)
    if msg.author_id != fake.bot_user.id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    if channel.guild_id and call.body.uploads:
        _require(fake, channel, "attach_files")
    fake.ratelimits.edit(msg.id)
    edit_message(fake, msg, call.body, limit=_limit(fake, channel))
    await fake.gateway.message_event("MESSAGE_UPDATE", msg)
    return json_response(P.message(fake, msg))


async def delete(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    msg = _message(fake, call, channel)
    if msg.author_id != fake.bot_user.id:
        if channel.guild_id is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        _require(fake, channel, "manage_messages")
    await fake.delete_message(msg)
    return web.Response(status=204)


def _emoji(call: Call) -> str:
    """A unicode emoji, or `name:id` for a custom one; anything else is Unknown Emoji."""
    emoji = call.params["emoji"]
    _, _, custom_id = emoji.partition(":")
    if custom_id:
        if not custom_id.isdigit():
            raise ApiError(400, UNKNOWN_EMOJI[0], "Unknown Emoji")
        return emoji
    if not emoji or all(c.isascii() for c in emoji):
        raise ApiError(400, UNKNOWN_EMOJI[0], "Unknown Emoji")
    return emoji


async def react(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    msg = _message(fake, call, channel)
    emoji = _emoji(call)
    if channel.guild_id:
        _require(fake, channel, "read_message_history", "add_reactions")
    users = msg.reactions.setdefault(emoji, [])
    if len([e for e, u in msg.reactions.items() if u]) > MAX_REACTIONS and not users:
        del msg.reactions[emoji]
        raise ApiError(400, 30010, "Maximum number of reactions reached (20)")
    if fake.bot_user.id not in users:
        users.append(fake.bot_user.id)
        fake.touch()
        await _reaction_event(fake, "MESSAGE_REACTION_ADD", msg, emoji, fake.bot_user.id)
    return web.Response(status=204)


async def unreact(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    msg = _message(fake, call, channel)
    emoji = _emoji(call)
    user_id = int(call.params.get("user_id") or fake.bot_user.id)
    if user_id != fake.bot_user.id:
        _require(fake, channel, "manage_messages")
    users = msg.reactions.get(emoji, [])
    if user_id in users:
        users.remove(user_id)
        fake.touch()
        await _reaction_event(fake, "MESSAGE_REACTION_REMOVE", msg, emoji, user_id)
    return web.Response(status=204)


async def reactors(fake: FakeDiscord, call: Call) -> web.Response:
    channel = _channel(fake, call)
    msg = _message(fake, call, channel)
    users = msg.reactions.get(_emoji(call), [])
    return json_response([P.user(fake.users[uid]) for uid in users])


async def _reaction_event(fake: FakeDiscord, event: str, msg: FakeMessage, emoji: str, uid: int):
    intent = "guild_reactions" if msg.guild_id else "dm_reactions"
    data = P.reaction_event(fake, msg, emoji, uid)
    if event.endswith("REMOVE"):
        data.pop("member", None)
    await fake.gateway.dispatch(event, data, guild_id=msg.guild_id, intent=intent)
