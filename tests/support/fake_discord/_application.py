"""Users, the application, the gateway URL and application commands (sync and fetch)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _payloads as P
from ._limits import (
    UNKNOWN_COMMAND,
    UNKNOWN_USER,
    ApiError,
    FormErrors,
    json_response,
    missing_access,
    not_found,
)

if TYPE_CHECKING:
    from ._rest import Call
    from ._server import FakeDiscord


# -- users, application, gateway -------------------------------------------------------------


async def users_me(fake: FakeDiscord, call: Call) -> web.Response:
    me = {
        **P.user(fake.bot_user),
        "verified": True,
        "mfa_enabled": False,
        "email": None,
        "locale": "en-US",
        "bio": "",
    }
    return json_response(me)


async def get_user(fake: FakeDiscord, call: Call) -> web.Response:
    user = fake.users.get(int(call.params["user_id"]))
    if user is None:
        raise not_found(*UNKNOWN_USER)
    return json_response(P.user(user))


async def application(fake: FakeDiscord, call: Call) -> web.Response:
    return json_response(
        {
            "id": str(fake.app_id),
            "name": fake.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": fake.application_flags,
            "owner": P.user(fake.users[fake.guild.owner_id]),
            "team": None,
            "bot": P.user(fake.bot_user),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "install_params": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
        }
    )


async def gateway(fake: FakeDiscord, call: Call) -> web.Response:
    return json_response({"url": fake.gateway_url.rstrip("/")})


async def gateway_bot(fake: FakeDiscord, call: Call) -> web.Response:
    return json_response(
        {
            "url": fake.gateway_url.rstrip("/"),
            "shards": fake.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86400000,
                "max_concurrency": 1,
            },
        }
    )


# -- application commands ---------------------------------------------------------------------


def _name_ok(name: Any) -> bool:
    return (
        isinstance(name, str)
        and 1 <= len(name) <= 32
        and all(c in "-_" or c.isalnum() for c in name)
        and name == name.lower()
    )


def _check_options(options: list[dict[str, Any]], path: list[str | int], errors: FormErrors):
    if len(options) > 25:
        errors.too_long([*path, "options"], 25)
    optional_seen = False
    for i, opt in enumerate(options):
        here = [*path, "options", i]
        _check_named(opt, here, errors)
        if opt.get("type") in (1, 2):
            _check_options(opt.get("options") or [], here, errors)
            continue
        if opt.get("required"):
            if optional_seen:
                errors.add(
                    here,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        if len(opt.get("choices") or []) > 25:
            errors.too_long([*here, "choices"], 25)


def _check_named(obj: dict[str, Any], path: list[str | int], errors: FormErrors) -> None:
    if not _name_ok(obj.get("name")):
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    for locale, name in (obj.get("name_localizations") or {}).items():
        if not _name_ok(name):
            errors.add(
                [*path, "name_localizations", locale],
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            )
    described = [obj.get("description"), *(obj.get("description_localizations") or {}).values()]
    if obj.get("type", 1) == 1 and any(not d or len(d) > 100 for d in described):
        errors.add(
            [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )


async def put_commands(fake: FakeDiscord, call: Call) -> web.Response:
    scope = _scope(fake, call)
    if not isinstance(call.payload, list):
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Not a list."}]},
        )
    if len(call.payload) > 100:
        raise ApiError(400, 30032, "Maximum number of application commands reached (100)")
    errors, seen = FormErrors(), set()
    for i, cmd in enumerate(call.payload):
        _check_named(cmd, [i], errors)
        _check_options(cmd.get("options") or [], [i], errors)
        key = (cmd.get("type", 1), cmd.get("name"))
        if key in seen:
            errors.add(
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)
    errors.check()
    old = {(c["type"], c["name"]): c for c in fake.commands.get(scope, [])}
    synced = [
        _stored(fake, cmd, old.get((cmd.get("type", 1), cmd["name"])), scope)
        for cmd in call.payload
    ]
    fake.commands[scope] = synced
    fake.touch()
    return json_response(synced)


def _stored(fake: FakeDiscord, cmd: dict[str, Any], old: dict | None, scope: int | None):
    out = {
        "type": 1,
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        "name_localizations": None,
        "description_localizations": None,
        **cmd,
        "id": old["id"] if old else str(fake.snowflake()),
        "application_id": str(fake.app_id),
        "version": str(fake.snowflake()),
    }
    if scope is not None:
        out["guild_id"] = str(scope)
    return out


def _scope(fake: FakeDiscord, call: Call) -> int | None:
    if int(call.params["application_id"]) != fake.app_id:
        raise ApiError(
            403, 20012, "You are not authorized to perform this action on this application"
        )
    if "guild_id" not in call.params:
        return None
    if int(call.params["guild_id"]) != fake.guild.id:
        raise missing_access()
    return fake.guild.id


async def get_commands(fake: FakeDiscord, call: Call) -> web.Response:
    return json_response(fake.commands.get(_scope(fake, call), []))


async def get_command(fake: FakeDiscord, call: Call) -> web.Response:
    for cmd in fake.commands.get(_scope(fake, call), []):
        if cmd["id"] == call.params["command_id"]:
            return json_response(cmd)
    raise not_found(*UNKNOWN_COMMAND)
