"""The gateway websocket: HELLO, heartbeats, IDENTIFY/RESUME, READY and dispatches by intent."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import _payloads as P
from ._model import INTENTS, PRIVILEGED, FakeMessage

if TYPE_CHECKING:
    from ._server import FakeDiscord

_log = logging.getLogger(__name__)
HEARTBEAT_INTERVAL_MS = 41250
ALL_KNOWN_INTENTS = (1 << 26) - 1
Gate = Callable[["Session"], dict[str, Any] | None]


@dataclass
class Session:
    id: str
    intents: int
    shard: tuple[int, int]
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # dispatches, for RESUME replay

    def wants(self, intent: str) -> bool:
        return bool(self.intents & INTENTS[intent])


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.received: list[dict[str, Any]] = []  # every frame the client sent
        self.close_codes: list[int] = []  # codes the fake closed connections with

    @property
    def connected(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.ws is not None and not s.ws.closed]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.sockets.add(ws)
        session: Session | None = None
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "op": 10,
                        "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS},
                        "s": None,
                        "t": None,
                    }
                )
            )
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    await self._close(ws, 4002, "Error while decoding payload.")
                    break
                try:
                    msg = json.loads(frame.data)
                except ValueError:
                    await self._close(ws, 4002, "Error while decoding payload.")
                    break
                self.received.append(msg)
                try:
                    session = await self._on_frame(ws, session, msg)
                except Exception as exc:  # a bug in the fake
                    _log.exception("fake gateway crashed on %r", msg)
                    self.fake.crashes.append(exc)
                    await self._close(ws, 4000, "Unknown error.")
                    break
        finally:
            self.sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                if ws.close_code in (1000, 1001):  # a clean close ends the session
                    self.sessions.pop(session.id, None)
        return ws

    async def _close(self, ws: web.WebSocketResponse, code: int, reason: str) -> None:
        self.close_codes.append(code)
        await ws.close(code=code, message=reason.encode())

    async def _on_frame(
        self, ws: web.WebSocketResponse, session: Session | None, msg: dict[str, Any]
    ) -> Session | None:
        op, data = msg.get("op"), msg.get("d")
        if op == 1:
            await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        elif op == 2:
            if session is not None:
                await self._close(ws, 4005, "Already authenticated.")
                return session
            return await self._identify(ws, data or {})
        elif op == 6:
            return await self._resume(ws, data or {})
        elif session is None:
            await self._close(ws, 4003, "Not authenticated.")
        elif op == 8 and session.wants("members"):
            await self._send(session, "GUILD_MEMBERS_CHUNK", self._members_chunk(data or {}))
        elif op not in (3, 4, 8):
            await self._close(ws, 4001, "Unknown opcode.")
        return session

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        fake = self.fake
        if data.get("token") != fake.token:
            await self._close(ws, 4004, "Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & ~ALL_KNOWN_INTENTS:
            await self._close(ws, 4013, "Invalid intent(s).")
            return None
        privileged = {name for name in PRIVILEGED if intents & INTENTS[name]}
        if privileged - fake.enabled_intents:
            await self._close(ws, 4014, "Disallowed intent(s).")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        if not 0 <= shard[0] < shard[1]:
            await self._close(ws, 4010, "Invalid shard.")
            return None
        session = Session(secrets.token_hex(16), intents, (shard[0], shard[1]), ws)
        self.sessions[session.id] = session
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**P.user(fake.bot_user), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(fake.guild.id), "unavailable": True}]
            if self._routes(session, fake.guild.id)
            else [],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.app_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["seoul", "japan"],
            "_trace": ['["gateway-prd-fake",{"micros":0}]'],
        }
        if "shard" in data:
            ready["shard"] = list(shard)
        await self._send(session, "READY", ready)
        if self._routes(session, fake.guild.id):
            await self._send(session, "GUILD_CREATE", P.guild_create(fake, intents))
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.fake.token:
            await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return None
        if session.ws is not None and not session.ws.closed and session.ws is not ws:
            await session.ws.close(code=4000)
        session.ws = ws
        last = data.get("seq") or 0
        for frame in session.sent:
            if frame["s"] > last:
                await ws.send_str(json.dumps(frame))
        await self._send(session, "RESUMED", {"_trace": ['["gateway-prd-fake",{}]']})
        return session

    def _members_chunk(self, data: dict[str, Any]) -> dict[str, Any]:
        fake = self.fake
        members = [P.member(fake, fake.users[uid]) for uid in fake.guild.member_ids]
        return {
            "guild_id": str(fake.guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": data.get("nonce"),
        }

    def _routes(self, session: Session, guild_id: int | None) -> bool:
        """Which shard an event goes to: (guild_id >> 22) % num_shards; DMs to shard 0."""
        index, count = session.shard
        return index == ((guild_id >> 22) % count if guild_id else 0)

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "d": data, "s": session.seq, "t": event}
        session.sent.append(frame)
        if session.ws is not None and not session.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_str(json.dumps(frame))

    # -- what the server side uses ---------------------------------------------------------

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any] | Gate,
        *,
        guild_id: int | None = None,
        intent: str | None = None,
    ) -> int:
        """Send an event to every session that routes it and has the intent; returns how many."""
        count = 0
        for session in list(self.sessions.values()):
            if not self._routes(session, guild_id):
                continue
            if intent is not None and not session.wants(intent):
                continue
            payload = data(session) if callable(data) else data
            if payload is not None:
                await self._send(session, event, payload)
                count += 1
        return count

    async def message_event(self, event: str, msg: FakeMessage) -> None:
        """MESSAGE_CREATE/UPDATE, skipping ephemeral messages and gating by MESSAGE_CONTENT."""
        if msg.ephemeral:
            return
        fake = self.fake
        intent = "guild_messages" if msg.guild_id else "dm_messages"

        def gate(session: Session) -> dict[str, Any]:
            body = P.message(fake, msg, event=True)
            exempt = (
                msg.guild_id is None
                or msg.author_id == fake.bot_user.id
                or fake.bot_user.id in msg.mentions
                or session.wants("message_content")
            )
            if not exempt:
                body.update(content="", embeds=[], attachments=[], components=[])
                body.pop("poll", None)
            return body

        await self.dispatch(event, gate, guild_id=msg.guild_id, intent=intent)

    async def op(self, op: int, data: Any = None) -> None:
        """A non-dispatch frame (7 RECONNECT, 9 INVALID_SESSION) to every connected session."""
        for session in self.connected:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_str(json.dumps({"op": op, "d": data, "s": None, "t": None}))  # type: ignore[union-attr]
            if op == 9 and not data:
                del self.sessions[session.id]

    async def close_all(self, code: int = 1001) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close(code=code)
