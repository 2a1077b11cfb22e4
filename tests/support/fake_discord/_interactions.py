"""Interactions: INTERACTION_CREATE payloads, the callback endpoint, the interaction webhook."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from . import _payloads as P
from ._limits import (
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ApiError,
    check_modal,
    json_response,
    not_found,
)
from ._messages import Body, create_message, edit_message
from ._model import DEFAULT_FILESIZE_LIMIT, EPHEMERAL, LOADING, FakeMessage, FakeUser

if TYPE_CHECKING:
    from ._rest import Call
    from ._server import FakeDiscord

T = TypeVar("T")
APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 2, 3, 5
CALLBACK_TYPES = {APPLICATION_COMMAND: {4, 5, 9}, MESSAGE_COMPONENT: {4, 5, 6, 7, 9}}


class FakeInteraction:
    """One interaction a test started. Await its response and followups; read its messages."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        type: int,
        user: FakeUser,
        channel_id: int,
        data: dict[str, Any],
        locale: str,
        source_message_id: int | None = None,
    ) -> None:
        self._fake = fake
        self.id = fake.snowflake()
        self.token = f"itok-{self.id}-{fake.token_salt}"
        self.type, self.user, self.channel_id = type, user, channel_id
        self.data, self.locale = data, locale
        self.source_message_id = source_message_id  # the message a component sits on
        self.created_at = fake.now()
        self.callbacks: list[dict[str, Any]] = []  # accepted callback bodies, in order
        self.response_type: int | None = None
        self.original_id: int | None = None
        self.followup_ids: list[int] = []
        self.modal: dict[str, Any] | None = None  # the modal the bot opened (type 9)

    @property
    def channel(self):
        return self._fake.channels[self.channel_id]

    @property
    def guild_id(self) -> int | None:
        return self.channel.guild_id

    @property
    def filesize_limit(self) -> int:
        if self.guild_id is None:
            return DEFAULT_FILESIZE_LIMIT
        return self._fake.guild.filesize_limit

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def failed(self) -> bool:
        """What the user would see as "This interaction failed": no ack within the deadline."""
        late = self._fake.now() - self.created_at > self._fake.interaction_ack_deadline
        return not self.acknowledged and late

    @property
    def original(self) -> FakeMessage | None:
        return self._fake.messages.get(self.original_id) if self.original_id else None

    @property
    def followups(self) -> list[FakeMessage]:
        return [self._fake.messages[mid] for mid in self.followup_ids]

    async def wait(self, predicate: Callable[[FakeInteraction], T], timeout: float = 5.0) -> T:
        return await self._fake.wait_for(lambda: predicate(self), timeout=timeout)

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        """The first callback body the bot sent ({"type": 4|5|6|7|9, "data": ...})."""
        await self.wait(lambda i: i.callbacks, timeout)
        return self.callbacks[0]

    async def followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """The `index`-th followup (after a deferral the first one fills the original)."""
        await self.wait(lambda i: len(i.followup_ids) > index, timeout)
        return self._fake.messages[self.followup_ids[index]]

    # -- payloads ---------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        fake, channel = self._fake, self.channel
        out: dict[str, Any] = {
            "id": str(self.id),
            "application_id": str(fake.app_id),
            "type": self.type,
            "token": self.token,
            "version": 1,
            "attachment_size_limit": self.filesize_limit,
            "app_permissions": str(P.permissions_in(fake, fake.bot_user.id, channel)),
            "locale": self.locale,
            "entitlements": [],
            "channel_id": str(channel.id),
            "channel": P.channel(fake, channel),
            "data": self.data,
        }
        if self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
            out["guild_locale"] = fake.guild.preferred_locale
            out["guild"] = {
                "id": str(self.guild_id),
                "locale": fake.guild.preferred_locale,
                "features": [],
            }
            out["member"] = P.member(fake, self.user, channel)
            out["authorizing_integration_owners"] = {"0": str(self.guild_id)}
            out["context"] = 0
        else:
            out["user"] = P.user(self.user)
            out["authorizing_integration_owners"] = {"0": "0"}
            out["context"] = 1
        if self.source_message_id is not None:
            out["message"] = P.message(fake, fake.messages[self.source_message_id])
        return out

    def metadata(self) -> dict[str, Any]:
        """`interaction_metadata` (and the deprecated `interaction`) of messages it created."""
        owners = {"0": str(self.guild_id)} if self.guild_id else {"0": "0"}
        meta: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": P.user(self.user),
            "authorizing_integration_owners": owners,
        }
        if self.original_id is not None:
            meta["original_response_message_id"] = str(self.original_id)
        if self.source_message_id is not None:
            meta["interacted_message_id"] = str(self.source_message_id)
        legacy = {
            "id": str(self.id),
            "type": self.type,
            "user": P.user(self.user),
            "name": self.data.get("name") or self.data.get("custom_id", ""),
        }
        return {"interaction_metadata": meta, "interaction": legacy}

    @property
    def message_type(self) -> int:
        return 20 if self.type == APPLICATION_COMMAND else 0


# -- POST /interactions/{interaction_id}/{token}/callback -----------------------------------------


async def callback(fake: FakeDiscord, call: Call) -> web.Response:
    inter = fake.interactions.get(int(call.params["interaction_id"]))
    if inter is None or inter.token != call.params["token"]:
        raise not_found(*UNKNOWN_INTERACTION)
    if fake.now() - inter.created_at > fake.interaction_ack_deadline:
        raise not_found(*UNKNOWN_INTERACTION)
    if inter.acknowledged:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    payload = call.body.payload if isinstance(call.body.payload, dict) else {}
    kind = payload.get("type")
    allowed = CALLBACK_TYPES.get(inter.type) or (
        {4, 5, 6, 7} if inter.source_message_id else {4, 5}
    )
    if kind not in allowed:
        errors = {
            "type": {
                "_errors": [
                    {
                        "code": "INTERACTION_CALLBACK_TYPE_INVALID",
                        "message": "Invalid interaction callback type.",
                    }
                ]
            }
        }
        raise ApiError(400, 50035, "Invalid Form Body", errors)
    data = payload.get("data") or {}
    msg: FakeMessage | None = None
    created = False
    common = dict(
        limit=inter.filesize_limit,
        msg_type=inter.message_type,
        webhook=True,
        interaction_id=inter.id,
        visible_to=inter.user.id,
    )
    if kind == 4:
        msg = create_message(
            fake, inter.channel, fake.bot_user.id, Body(data, call.body.uploads), **common
        )
        created = True
    elif kind == 5:
        flags = int(data.get("flags") or 0) & EPHEMERAL
        msg = create_message(
            fake,
            inter.channel,
            fake.bot_user.id,
            Body({"flags": flags}),
            extra_flags=LOADING,
            **common,
        )
        created = True
    elif kind in (6, 7):
        msg = fake.messages[inter.source_message_id or 0]
        if msg.deleted:
            raise not_found(*UNKNOWN_MESSAGE)
        if kind == 7:
            fake.ratelimits.edit(msg.id)
            edit_message(fake, msg, Body(data, call.body.uploads), limit=inter.filesize_limit)
    elif kind == 9:
        check_modal(data)
        inter.modal = data
    inter.response_type = kind
    inter.original_id = msg.id if msg is not None else None
    inter.callbacks.append(payload)
    fake.touch()
    if msg is not None and kind != 6:
        await fake.gateway.message_event("MESSAGE_CREATE" if created else "MESSAGE_UPDATE", msg)
    if call.query.get("with_response", "").lower() not in ("1", "true"):
        return web.Response(status=204)
    info: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
    if msg is not None:
        info["response_message_id"] = str(msg.id)
        info["response_message_loading"] = kind == 5
        info["response_message_ephemeral"] = msg.ephemeral
    resource: dict[str, Any] = {"type": kind}
    if msg is not None and kind in (4, 7):
        resource["message"] = P.message(fake, msg)
    return json_response({"interaction": info, "resource": resource})


# -- /webhooks/{application_id}/{token}[/messages/{message_id}] -----------------------------------


def _by_token(fake: FakeDiscord, call: Call) -> FakeInteraction:
    inter = fake.interactions_by_token.get(call.params["token"])
    if int(call.params["application_id"]) != fake.app_id or inter is None:
        raise not_found(*UNKNOWN_WEBHOOK)
    if fake.now() - inter.created_at > fake.interaction_token_ttl:
        raise ApiError(401, 50027, "Invalid Webhook Token")
    if not inter.acknowledged:
        raise not_found(*UNKNOWN_WEBHOOK)
    return inter


def _its_message(fake: FakeDiscord, inter: FakeInteraction, ref: str) -> FakeMessage:
    mid = inter.original_id if ref == "@original" else int(ref)
    if mid is None or (mid != inter.original_id and mid not in inter.followup_ids):
        raise not_found(*UNKNOWN_MESSAGE)
    msg = fake.messages.get(mid)
    if msg is None or msg.deleted:
        raise not_found(*UNKNOWN_MESSAGE)
    return msg


async def execute(fake: FakeDiscord, call: Call) -> web.Response:
    """A followup; after a deferral (type 5) the first one fills the loading message."""
    inter = _by_token(fake, call)
    original = inter.original
    if inter.response_type == 5 and original is not None and original.loading:
        if original.deleted:  # the user dismissed "thinking…" (discord-api-docs#3087)
            raise not_found(*UNKNOWN_MESSAGE)
        fake.ratelimits.edit(original.id)
        edit_message(fake, original, call.body, limit=inter.filesize_limit)
        msg, event = original, "MESSAGE_UPDATE"
    else:
        msg = create_message(
            fake,
            inter.channel,
            fake.bot_user.id,
            call.body,
            limit=inter.filesize_limit,
            msg_type=inter.message_type,
            webhook=True,
            interaction_id=inter.id,
            visible_to=inter.user.id,
        )
        event = "MESSAGE_CREATE"
    inter.followup_ids.append(msg.id)
    fake.touch()
    await fake.gateway.message_event(event, msg)
    if call.query.get("wait", "").lower() not in ("1", "true"):
        return web.Response(status=204)
    return json_response(P.message(fake, msg))


async def get_message(fake: FakeDiscord, call: Call) -> web.Response:
    inter = _by_token(fake, call)
    return json_response(P.message(fake, _its_message(fake, inter, call.params["message_id"])))


async def edit(fake: FakeDiscord, call: Call) -> web.Response:
    inter = _by_token(fake, call)
    msg = _its_message(fake, inter, call.params["message_id"])
    fake.ratelimits.edit(msg.id)
    edit_message(fake, msg, call.body, limit=inter.filesize_limit)
    await fake.gateway.message_event("MESSAGE_UPDATE", msg)
    return json_response(P.message(fake, msg))


async def delete(fake: FakeDiscord, call: Call) -> web.Response:
    inter = _by_token(fake, call)
    msg = _its_message(fake, inter, call.params["message_id"])
    await fake.delete_message(msg)
    return web.Response(status=204)


async def until(fake: FakeDiscord, predicate: Callable[[], T], timeout: float) -> T:
    """Poll a predicate on every state change (shared by the wait helpers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"condition not met within {timeout}s; {fake.describe_recent()}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fake.changed.wait(), min(remaining, 0.05))
