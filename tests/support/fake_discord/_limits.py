"""Discord's error bodies and the limits it enforces on messages, embeds, components and modals."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ._model import IS_COMPONENTS_V2

MAX_CONTENT = 2000
MAX_ATTACHMENTS = 10
MAX_EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}
MAX_FIELDS = 25


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    """JSON with Content-Type exactly `application/json` (discord.py parses nothing else)."""
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class ApiError(Exception):
    """A Discord error: `{"message", "code"[, "errors"]}` with its HTTP status."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message = status, code, message
        self.errors, self.headers, self.extra = errors, headers or {}, extra or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code, **self.extra}
        if self.errors:
            out["errors"] = self.errors
        return out

    def response(self) -> web.Response:
        return json_response(self.body(), self.status, self.headers)


def not_found(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


UNKNOWN_CHANNEL = (10003, "Channel")
UNKNOWN_GUILD = (10004, "Guild")
UNKNOWN_MESSAGE = (10008, "Message")
UNKNOWN_USER = (10013, "User")
UNKNOWN_EMOJI = (10014, "Emoji")
UNKNOWN_WEBHOOK = (10015, "Webhook")
UNKNOWN_COMMAND = (10063, "application command")
UNKNOWN_INTERACTION = (10062, "interaction")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def dm_closed() -> ApiError:
    return ApiError(403, 50007, "Cannot send messages to this user")


def too_large() -> ApiError:
    return ApiError(413, 40005, "Request entity too large")


class FormErrors:
    """Collects `Invalid Form Body` errors, nested by path as Discord does."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: list[str | int], limit: int) -> None:
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def required(self, path: list[str | int]) -> None:
        self.add(path, "BASE_TYPE_REQUIRED", "This field is required")

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, 50035, "Invalid Form Body", self.errors)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def check_embeds(embeds: Any, errors: FormErrors) -> None:
    """Count, per-field lengths and the 6000-character total (message.mdx "Embed Limits")."""
    if not isinstance(embeds, list):
        errors.add(["embeds"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    if len(embeds) > MAX_EMBEDS:
        errors.too_long(["embeds"], MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        path: list[str | int] = ["embeds", i]
        for key, limit in EMBED_LIMITS.items():
            total += _length(embed.get(key))
            if _length(embed.get(key)) > limit:
                errors.too_long([*path, key], limit)
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            errors.too_long([*path, "fields"], MAX_FIELDS)
        for j, fld in enumerate(fields):
            for key, limit in FIELD_LIMITS.items():
                value = fld.get(key)
                total += _length(value)
                if not isinstance(value, str) or not value.strip():
                    errors.required([*path, "fields", j, key])
                elif len(value) > limit:
                    errors.too_long([*path, "fields", j, key], limit)
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            value = (embed.get(key) or {}).get(sub)
            total += _length(value)
            if _length(value) > limit:
                errors.too_long([*path, key, sub], limit)
    if total > EMBED_TOTAL:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def check_components(components: Any, flags: int, errors: FormErrors) -> None:
    """Action rows of ≤5 buttons (or one select), ≤5 rows, custom ids 1-100 chars and unique."""
    if not isinstance(components, list):
        errors.add(["components"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    seen: set[str] = set()
    if flags & IS_COMPONENTS_V2:
        return
    if len(components) > 5:
        errors.too_long(["components"], 5)
    for i, row in enumerate(components):
        if row.get("type") != 1:
            errors.add(["components", i, "type"], "UNION_TYPE_CHOICES", "Value must be 1.")
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            errors.add(
                ["components", i, "components"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            )
        for j, comp in enumerate(children):
            _check_item(comp, ["components", i, "components", j], seen, errors)


def _check_item(comp: dict[str, Any], path: list[str | int], seen: set[str], errors: FormErrors):
    custom_id = comp.get("custom_id")
    if comp.get("type") == 2 and comp.get("style") == 5:
        if not comp.get("url"):
            errors.required([*path, "url"])
    elif not custom_id:
        errors.required([*path, "custom_id"])
    if custom_id is not None:
        if len(custom_id) > 100:
            errors.too_long([*path, "custom_id"], 100)
        if custom_id in seen:
            errors.add(
                [*path, "custom_id"],
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)
    if comp.get("type") == 2:
        if _length(comp.get("label")) > 80:
            errors.too_long([*path, "label"], 80)
        if not comp.get("label") and not comp.get("emoji"):
            errors.add([*path], "BUTTON_COMPONENT_INVALID", "A label or an emoji is required.")


def check_modal(data: Any) -> None:
    """A modal: title 1-45, custom_id 1-100, 1-5 components; inputs' labels ≤45, values ≤4000."""
    errors = FormErrors()
    if not isinstance(data, dict):
        errors.required(["data"])
        errors.check()
    title, custom_id = data.get("title"), data.get("custom_id")
    if not title:
        errors.required(["data", "title"])
    elif len(title) > 45:
        errors.too_long(["data", "title"], 45)
    if not custom_id:
        errors.required(["data", "custom_id"])
    elif len(custom_id) > 100:
        errors.too_long(["data", "custom_id"], 100)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.add(
            ["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    for i, row in enumerate(components):
        label = row.get("label")
        inner = row.get("component") or next(iter(row.get("components") or []), {})
        label = label if label is not None else inner.get("label")
        if _length(label) > 45:
            errors.too_long(["data", "components", i, "label"], 45)
        if _length(inner.get("value")) > 4000:
            errors.too_long(["data", "components", i, "value"], 4000)
    errors.check()
