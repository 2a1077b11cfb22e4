"""`FakeDiscord`: the world (a guild, channels, users), the aiohttp app, switches and accessors."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import web

from . import _payloads as P
from ._actions import UserActions
from ._gateway import Gateway
from ._interactions import FakeInteraction, until
from ._limits import ApiError
from ._model import (
    BOT_ROLE_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    PERMISSIONS,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMessage,
    FakeRole,
    FakeUser,
    MiB,
    RecordedRequest,
    Snowflakes,
)
from ._ratelimits import Injection, RateLimits, rate_limited
from ._rest import Rest

T = TypeVar("T")
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19


class FakeDiscord(UserActions):
    """A protocol-true Discord (REST, gateway, CDN) on 127.0.0.1 for the real discord.py client.

    The world: one guild (`guild`) with text channels `channel_id` ("stories") and
    `other_channel_id` ("general"); users `alice` and `bob` (members), `mod` (Manage Server)
    and the guild `owner`; the bot `bot_user` (its id is the application id `app_id`).
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token.NDI.x",
        premium_tier: int = 0,
        enabled_intents: Iterable[str] = ("message_content",),
        interaction_ack_deadline: float = 3.0,
        interaction_token_ttl: float = 900.0,
    ) -> None:
        self.token = token
        self.enabled_intents = set(enabled_intents)  # privileged intents "on in the portal"
        self.interaction_ack_deadline = interaction_ack_deadline
        self.interaction_token_ttl = interaction_token_ttl
        self.clock_offset = 0.0  # added to the fake's clock (interaction expiry, timestamps)
        self.dms_closed: set[int] = set()  # user ids whose DMs are closed to the bot → 50007
        self.recommended_shards = 1
        self.application_flags = (
            GATEWAY_MESSAGE_CONTENT_LIMITED if "message_content" in self.enabled_intents else 0
        )
        self.token_salt = secrets.token_hex(8)
        self.url = self.api_base = self.gateway_url = ""
        self.port = 0
        # State.
        self._ids = Snowflakes()
        self.users: dict[int, FakeUser] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None = global
        self.interactions: dict[int, FakeInteraction] = {}
        self.interactions_by_token: dict[str, FakeInteraction] = {}
        self.cdn: dict[str, FakeAttachment] = {}  # URL path → attachment
        self.requests: list[RecordedRequest] = []
        self.invalid_requests = 0  # 401/403/429 answers (Discord bans at 10 000 / 10 min)
        self.crashes: list[BaseException] = []  # bugs in the fake itself (answered with 503)
        self.changed = asyncio.Event()
        self.ratelimits = RateLimits()
        self.gateway = Gateway(self)
        self.rest = Rest(self)
        self._runner: web.AppRunner | None = None
        self._build_world(premium_tier)

    def _build_world(self, premium_tier: int) -> None:
        self.app_id = self.snowflake()
        self.bot_user = self._user(self.app_id, "storybot", bot=True)
        guild_id = self.snowflake()
        self.owner = self._user(self.snowflake(), "owner", "Owner")
        self.guild = FakeGuild(guild_id, "Story Club", self.owner.id, premium_tier)
        self.bot_role_id, mod_role = self.snowflake(), self.snowflake()
        for role in (
            FakeRole(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
            FakeRole(self.bot_role_id, "storybot", BOT_ROLE_PERMISSIONS, 1),
            FakeRole(mod_role, "Moderator", PERMISSIONS["manage_guild"], 2),
        ):
            self.guild.roles[role.id] = role
        self.bot_user.roles = [self.bot_role_id]
        self.alice = self._user(self.snowflake(), "alice", "Alice")
        self.bob = self._user(self.snowflake(), "bob", "Bob", locale="en-US")
        self.mod = self._user(self.snowflake(), "mod", "Mod", roles=[mod_role])
        self.guild.member_ids = [
            u.id for u in (self.owner, self.bot_user, self.alice, self.bob, self.mod)
        ]
        self.channel_id = self.add_text_channel("stories")
        self.other_channel_id = self.add_text_channel("general")

    def _user(self, uid: int, name: str, global_name: str | None = None, **kw: Any) -> FakeUser:
        self.users[uid] = user = FakeUser(uid, name, global_name, **kw)
        return user

    def add_user(
        self, username: str, *, roles: Iterable[int] = (), locale: str = "ko", member: bool = True
    ) -> FakeUser:
        """Another test user (a guild member unless `member=False`)."""
        user = self._user(
            self.snowflake(), username, username.title(), locale=locale, roles=list(roles)
        )
        if member:
            self.guild.member_ids.append(user.id)
        return user

    def add_text_channel(self, name: str) -> int:
        channel = FakeChannel(
            self.snowflake(), 0, name, self.guild.id, position=len(self.guild.channel_ids)
        )
        self.channels[channel.id] = channel
        self.guild.channel_ids.append(channel.id)
        return channel.id

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The bot's DM channel with a user (made on first use, like POST /users/@me/channels)."""
        if user.id not in self.dm_channels:
            channel = FakeChannel(self.snowflake(), 1, recipient_id=user.id)
            self.channels[channel.id] = channel
            self.dm_channels[user.id] = channel.id
        return self.channels[self.dm_channels[user.id]]

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=110 * MiB)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/cdn/{tail:.*}", self._cdn)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_base = f"{self.url}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/gateway/"
        return self.url

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def patch(self, monkeypatch: Any) -> None:
        """Point discord.py at this server (REST base and default gateway), for one test."""
        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url)
        )

    async def _cdn(self, request: web.Request) -> web.Response:
        att = self.cdn.get(request.path)
        rec = RecordedRequest("GET", request.path, "/cdn", dict(request.query), at=self.now())
        self.requests.append(rec)
        if att is None:
            rec.status = 404
            return web.Response(status=404, text="This content is no longer available.")
        rec.status = 200
        return web.Response(
            body=att.data, content_type=att.content_type or "application/octet-stream"
        )

    # -- time, ids, change notification ------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock (interaction tokens die 15 minutes after their interaction)."""
        self.clock_offset += seconds
        self.touch()

    def snowflake(self) -> int:
        return self._ids.make(self.now())

    def touch(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def store_message(self, msg: FakeMessage) -> None:
        self.messages[msg.id] = msg
        self.channels[msg.channel_id].last_message_id = msg.id
        msg.snapshot(self.now())
        self.touch()

    async def delete_message(self, msg: FakeMessage) -> None:
        msg.deleted = True
        self.touch()
        if msg.ephemeral:
            return
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id:
            data["guild_id"] = str(msg.guild_id)
        intent = "guild_messages" if msg.guild_id else "dm_messages"
        await self.gateway.dispatch("MESSAGE_DELETE", data, guild_id=msg.guild_id, intent=intent)

    # -- switches ----------------------------------------------------------------------------

    async def set_bot_permissions(
        self, channel_id: int, *, deny: Iterable[str] = (), allow: Iterable[str] = ()
    ) -> None:
        """A member overwrite for the bot in a channel (empty = remove it); CHANNEL_UPDATE."""
        channel = self.channels[channel_id]
        bits = [sum(PERMISSIONS[name] for name in names) for names in (allow, deny)]
        channel.overwrites = [o for o in channel.overwrites if int(o["id"]) != self.bot_user.id]
        if any(bits):
            channel.overwrites.append(
                {
                    "id": str(self.bot_user.id),
                    "type": 1,
                    "allow": str(bits[0]),
                    "deny": str(bits[1]),
                }
            )
        await self.gateway.dispatch(
            "CHANNEL_UPDATE", P.channel(self, channel), guild_id=self.guild.id, intent="guilds"
        )
        self.touch()

    async def set_premium_tier(self, tier: int) -> None:
        """Boost level 0-3 (Guild.filesize_limit 10/10/50/100 MiB); GUILD_UPDATE."""
        self.guild.premium_tier = tier
        await self.gateway.dispatch(
            "GUILD_UPDATE", P.guild(self), guild_id=self.guild.id, intent="guilds"
        )

    def inject_error(
        self, route: str, status: int, *, code: int = 0, message: str = "", times: int = 1
    ) -> None:
        """The next `times` calls of `route` ("PATCH /channels/{channel_id}/messages/
        {message_id}") fail with this status and Discord error code."""
        error = ApiError(status, code, message or f"{status}: injected")
        self.ratelimits.injections.append(Injection(route, error, times))

    def inject_429(
        self,
        route: str,
        retry_after: float = 0.05,
        *,
        via: bool = True,
        is_global: bool = False,
        times: int = 1,
    ) -> None:
        """One-off 429s; discord.py retries only those with a `Via` header."""
        error = rate_limited(
            retry_after, via=via, is_global=is_global, scope="global" if is_global else "user"
        )
        self.ratelimits.injections.append(Injection(route, error, times))

    async def reconnect(self) -> None:
        """Op 7 RECONNECT: the client reconnects to resume_gateway_url and RESUMEs."""
        await self.gateway.op(7)

    async def invalidate_session(self, resumable: bool = False) -> None:
        await self.gateway.op(9, resumable)

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None = None,
        intent: str | None = None,
    ) -> int:
        """Send any gateway event; returns the number of sessions it reached."""
        return await self.gateway.dispatch(event, data, guild_id=guild_id, intent=intent)

    # -- reading the state -------------------------------------------------------------------

    def message(self, message_id: int) -> FakeMessage:
        if message_id not in self.messages:
            raise LookupError(f"no message {message_id}")
        return self.messages[message_id]

    def messages_in(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """A channel's messages, oldest first (what members see, unless asked otherwise)."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id
            and (include_deleted or not m.deleted)
            and (include_ephemeral or not m.ephemeral)
        ]

    def dms(self, user: FakeUser) -> list[FakeMessage]:
        """Every message in the bot's DM channel with `user`, oldest first."""
        channel_id = self.dm_channels.get(user.id)
        return [] if channel_id is None else self.messages_in(channel_id)

    def requests_to(self, method: str, route: str | None = None) -> list[RecordedRequest]:
        """Recorded requests by method and route template (or a path prefix)."""
        return [
            r
            for r in self.requests
            if r.method == method
            and (route is None or r.route == route or r.path.startswith(route))
        ]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` is truthy (re-checked on every change); returns its value."""
        return await until(self, predicate, timeout)

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: Callable[[FakeMessage], Any] | None = None,
        *,
        timeout: float = 5.0,
    ) -> FakeMessage:
        """The first visible message in a channel by the bot that satisfies `predicate`."""

        def find() -> FakeMessage | None:
            for msg in self.messages_in(channel_id):
                if msg.author_id == self.bot_user.id and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.wait_for(find, timeout)

    async def wait_for_dm(
        self,
        user: FakeUser,
        predicate: Callable[[FakeMessage], Any] | None = None,
        *,
        timeout: float = 5.0,
    ) -> FakeMessage:
        """The first DM from the bot to `user` that satisfies `predicate`."""

        def find() -> FakeMessage | None:
            for msg in self.dms(user):
                if msg.author_id == self.bot_user.id and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.wait_for(find, timeout)

    def describe_recent(self, count: int = 8) -> str:
        recent = ", ".join(f"{r.method} {r.path} → {r.status}" for r in self.requests[-count:])
        return f"last requests: {recent or 'none'}"
