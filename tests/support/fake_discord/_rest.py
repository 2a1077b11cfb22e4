"""REST at /api/v10: the route table, auth, recording, rate limits, and the non-message routes."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _application as A
from . import _channels as C
from . import _interactions as I
from . import _payloads as P
from ._limits import (
    ApiError,
    FormErrors,
    json_response,
    too_large,
)
from ._messages import Body, read_body
from ._model import RecordedRequest

if TYPE_CHECKING:
    from ._server import FakeDiscord

_log = logging.getLogger(__name__)


@dataclass
class Call:
    request: web.Request
    route: str
    params: dict[str, str]
    query: dict[str, str]
    body: Body

    @property
    def payload(self) -> Any:
        return self.body.payload


Handler = Callable[["FakeDiscord", Call], Awaitable[web.Response]]


# -- guilds ----------------------------------------------------------------------------------


def _guild(fake: FakeDiscord, call: Call):
    if int(call.params["guild_id"]) != fake.guild.id:
        raise ApiError(404, 10004, "Unknown Guild")
    return fake.guild


async def get_guild(fake: FakeDiscord, call: Call) -> web.Response:
    guild = _guild(fake, call)
    out = P.guild(fake)
    if call.query.get("with_counts", "").lower() in ("1", "true"):
        out.update(approximate_member_count=len(guild.member_ids), approximate_presence_count=1)
    return json_response(out)


async def guild_channels(fake: FakeDiscord, call: Call) -> web.Response:
    guild = _guild(fake, call)
    return json_response([P.channel(fake, fake.channels[c]) for c in guild.channel_ids])


async def guild_roles(fake: FakeDiscord, call: Call) -> web.Response:
    guild = _guild(fake, call)
    bot_role = fake.bot_role_id
    return json_response(
        [P.role(r, fake.bot_user.id if r.id == bot_role else None) for r in guild.roles.values()]
    )


async def guild_member(fake: FakeDiscord, call: Call) -> web.Response:
    guild = _guild(fake, call)
    user_id = int(call.params["user_id"])
    if user_id not in guild.member_ids:
        raise ApiError(404, 10007, "Unknown Member")
    return json_response(P.member(fake, fake.users[user_id]))


# -- the table ----------------------------------------------------------------------------------

APP, WEBHOOK = "/applications/{application_id}", "/webhooks/{application_id}/{token}"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/users/@me", A.users_me),
    ("POST", "/users/@me/channels", C.open_dm),
    ("GET", "/users/{user_id}", A.get_user),
    ("GET", "/oauth2/applications/@me", A.application),
    ("GET", "/applications/@me", A.application),
    ("GET", "/gateway", A.gateway),
    ("GET", "/gateway/bot", A.gateway_bot),
    ("GET", APP + "/commands", A.get_commands),
    ("PUT", APP + "/commands", A.put_commands),
    ("GET", APP + "/commands/{command_id}", A.get_command),
    ("GET", APP + "/guilds/{guild_id}/commands", A.get_commands),
    ("PUT", APP + "/guilds/{guild_id}/commands", A.put_commands),
    ("GET", APP + "/guilds/{guild_id}/commands/{command_id}", A.get_command),
    ("POST", "/interactions/{interaction_id}/{token}/callback", I.callback),
    ("POST", WEBHOOK, I.execute),
    ("GET", WEBHOOK + "/messages/{message_id}", I.get_message),
    ("PATCH", WEBHOOK + "/messages/{message_id}", I.edit),
    ("DELETE", WEBHOOK + "/messages/{message_id}", I.delete),
    ("GET", "/channels/{channel_id}", C.get_channel),
    ("GET", "/channels/{channel_id}/messages", C.history),
    ("POST", "/channels/{channel_id}/messages", C.send),
    ("POST", "/channels/{channel_id}/typing", C.typing),
    ("GET", MESSAGE, C.get_message),
    ("PATCH", MESSAGE, C.edit),
    ("DELETE", MESSAGE, C.delete),
    ("PUT", MESSAGE + "/reactions/{emoji}/@me", C.react),
    ("DELETE", MESSAGE + "/reactions/{emoji}/@me", C.unreact),
    ("DELETE", MESSAGE + "/reactions/{emoji}/{user_id}", C.unreact),
    ("GET", MESSAGE + "/reactions/{emoji}", C.reactors),
    ("GET", "/guilds/{guild_id}", get_guild),
    ("GET", "/guilds/{guild_id}/channels", guild_channels),
    ("GET", "/guilds/{guild_id}/roles", guild_roles),
    ("GET", "/guilds/{guild_id}/members/{user_id}", guild_member),
]
UNAUTHENTICATED = ("/webhooks/", "/interactions/")
MAJOR = ("channel_id", "guild_id", "token")
NOT_SNOWFLAKES = {"token", "emoji"}


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern + "$")


class Rest:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.routes = [(m, t, _compile(t), h) for m, t, h in ROUTES]

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler | None]:
        path_known = ""
        for m, template, regex, handler in self.routes:
            found = regex.match(path)
            if found is None:
                continue
            if m == method:
                return template, found.groupdict(), handler
            path_known = path_known or template
        return path_known, {}, None

    async def handle(self, request: web.Request) -> web.Response:
        fake = self.fake
        path = "/" + request.match_info["tail"]
        template, params, handler = self._match(request.method, path)
        auth = request.headers.get("Authorization")
        rec = RecordedRequest(
            request.method,
            path,
            template if handler else "",
            dict(request.query),
            authorized=auth == f"Bot {fake.token}",
            at=fake.now(),
        )
        fake.requests.append(rec)
        headers: dict[str, str] = {}
        try:
            try:
                body = await read_body(request)
            except web.HTTPRequestEntityTooLarge:
                raise too_large() from None
            rec.json, rec.files = body.payload, body.files
            if handler is None:
                status = 405 if template else 404
                reason = "Method Not Allowed" if template else "Not Found"
                raise ApiError(status, 0, f"{status}: {reason}")
            bot_route = not path.startswith(UNAUTHENTICATED) and path != "/gateway"
            if bot_route and not rec.authorized:
                raise ApiError(401, 0, "401: Unauthorized")
            self._check_snowflakes(params)
            key = f"{request.method} {template}"
            if (error := fake.ratelimits.injected(key)) is not None:
                raise error
            fake.ratelimits.check_global(exempt=path.startswith(("/interactions/", "/webhooks/")))
            major = ":".join(params.get(k, "") for k in MAJOR)
            headers = fake.ratelimits.hit(key, major)
            response = await handler(
                fake, Call(request, template, params, dict(request.query), body)
            )
        except ApiError as error:
            response = error.response()
        except Exception as exc:  # a bug in the fake: fail fast (503 is not retried)
            _log.exception("fake Discord crashed on %s %s", request.method, path)
            fake.crashes.append(exc)
            response = ApiError(503, 0, f"fake Discord crashed: {exc!r}").response()
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        rec.status = response.status
        if response.status in (401, 403) or (
            response.status == 429 and response.headers.get("X-RateLimit-Scope") != "shared"
        ):
            fake.invalid_requests += 1
        fake.touch()
        return response

    @staticmethod
    def _check_snowflakes(params: dict[str, str]) -> None:
        errors = FormErrors()
        for name, value in params.items():
            if name in NOT_SNOWFLAKES or value == "@original":
                continue
            if not value.isdigit():
                errors.add([name], "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
        errors.check()
