"""Creating and editing messages the way Discord does, from a JSON or multipart body."""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._limits import (
    MAX_ATTACHMENTS,
    MAX_CONTENT,
    ApiError,
    FormErrors,
    check_components,
    check_embeds,
    too_large,
)
from ._model import (
    EPHEMERAL,
    IS_COMPONENTS_V2,
    IS_VOICE_MESSAGE,
    LOADING,
    SUPPRESS_EMBEDS,
    SUPPRESS_NOTIFICATIONS,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
    RecordedFile,
)

if TYPE_CHECKING:
    from ._server import FakeDiscord

MENTION = re.compile(r"<@!?(\d+)>")
SETTABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2


@dataclass
class Upload:
    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class Body:
    payload: Any = None
    uploads: dict[int, Upload] = field(default_factory=dict)

    @property
    def files(self) -> list[RecordedFile]:
        return [
            RecordedFile(u.field, u.filename, len(u.data), u.content_type)
            for u in self.uploads.values()
        ]


async def read_body(request: web.Request) -> Body:
    """JSON, or multipart with `payload_json` and `files[n]` (as discord.py sends them)."""
    body = Body()
    if not request.can_read_body:
        return body
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            raw = await part.read(decode=False)  # type: ignore[union-attr]
            name = part.name or ""
            if name == "payload_json":
                body.payload = _json(raw)
            elif match := re.fullmatch(r"files\[(\d+)\]", name):
                ctype = part.headers.get("Content-Type")
                body.uploads[int(match[1])] = Upload(name, part.filename or name, raw, ctype)
            else:
                raise ApiError(400, 50035, "Invalid Form Body", {name: {"_errors": []}})
        return body
    raw = await request.read()
    if raw:
        body.payload = _json(raw)
    return body


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def attachment_from(
    fake: FakeDiscord, channel_id: int, filename: str, data: bytes, content_type: str | None
) -> FakeAttachment:
    """A stored upload with its CDN URL (signed-looking query, as Discord's expire)."""
    filename = filename.replace(" ", "_")
    att_id = fake.snowflake()
    ctype = mimetypes.guess_type(filename)[0] or (
        content_type if content_type != "application/octet-stream" else None
    )
    path = f"/cdn/attachments/{channel_id}/{att_id}/{filename}"
    expires = int(fake.now()) + 86400
    url = f"{fake.url}{path}?ex={expires:x}&is={int(fake.now()):x}&hm={att_id:x}&"
    att = FakeAttachment(att_id, filename, data, ctype, url)
    fake.cdn[path] = att
    return att


def _attachments(
    fake: FakeDiscord,
    body: Body,
    channel_id: int,
    existing: list[FakeAttachment],
    limit: int,
    ephemeral: bool,
) -> list[FakeAttachment]:
    """The final attachment set: `attachments` lists what stays; without it uploads append."""
    payload = body.payload or {}
    for upload in body.uploads.values():
        if len(upload.data) > limit:
            raise too_large()
    if "attachments" not in payload:
        new = [body.uploads[i] for i in sorted(body.uploads)]
        out = list(existing) + [
            attachment_from(fake, channel_id, u.filename, u.data, u.content_type) for u in new
        ]
    else:
        errors, out = FormErrors(), []
        kept = {a.id: a for a in existing}
        for i, entry in enumerate(payload["attachments"] or []):
            try:
                ref = int(entry["id"])
            except (KeyError, TypeError, ValueError):
                errors.add(["attachments", i, "id"], "NUMBER_TYPE_COERCE", "Value is not int.")
                continue
            if ref in kept:
                att = kept.pop(ref)
                if "description" in entry:
                    att.description = entry["description"]
                out.append(att)
            elif ref in body.uploads:
                upload = body.uploads.pop(ref)
                name = entry.get("filename") or upload.filename
                att = attachment_from(fake, channel_id, name, upload.data, upload.content_type)
                att.description = entry.get("description")
                out.append(att)
            else:
                errors.add(
                    ["attachments", i, "id"], "ATTACHMENT_NOT_FOUND", "Unknown attachment id."
                )
        errors.check()
    if len(out) > MAX_ATTACHMENTS:
        raise ApiError(400, 30015, "Maximum number of attachments in a message reached (10)")
    for att in out:
        att.ephemeral = ephemeral
    return out


def _validate(msg_payload: dict[str, Any], flags: int, errors: FormErrors) -> None:
    content = msg_payload.get("content")
    if content is not None and not isinstance(content, str):
        errors.add(["content"], "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    elif content is not None and len(content) > MAX_CONTENT:
        errors.too_long(["content"], MAX_CONTENT)
    if flags & IS_COMPONENTS_V2 and (content or msg_payload.get("embeds")):
        errors.add(
            ["content"],
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used when using "
            "MessageFlags.IS_COMPONENTS_V2",
        )
    if "embeds" in msg_payload and msg_payload["embeds"] is not None:
        check_embeds(msg_payload["embeds"], errors)
    if "components" in msg_payload and msg_payload["components"] is not None:
        check_components(msg_payload["components"], flags, errors)


def _resolve_embed_images(embeds: list[dict[str, Any]], atts: list[FakeAttachment]) -> None:
    """`attachment://name` becomes the attachment's URL, as in Discord's responses."""
    by_name = {a.filename: a for a in atts}
    for embed in embeds:
        embed.setdefault("type", "rich")
        for key in ("image", "thumbnail"):
            ref = (embed.get(key) or {}).get("url", "")
            if ref.startswith("attachment://") and ref[13:] in by_name:
                embed[key] = {**embed[key], "url": by_name[ref[13:]].url}
                embed[key]["proxy_url"] = by_name[ref[13:]].url


def _check_not_empty(msg: FakeMessage, payload: dict[str, Any]) -> None:
    if not (
        msg.content.strip()
        or msg.embeds
        or msg.attachments
        or msg.components
        or payload.get("sticker_ids")
        or payload.get("poll")
    ):
        raise ApiError(400, 50006, "Cannot send an empty message")


def create_message(
    fake: FakeDiscord,
    channel: FakeChannel,
    author_id: int,
    body: Body,
    *,
    limit: int,
    msg_type: int = 0,
    webhook: bool = False,
    interaction_id: int | None = None,
    visible_to: int | None = None,
    extra_flags: int = 0,
) -> FakeMessage:
    """Validate a create body and store the new message (not yet dispatched)."""
    payload = body.payload if isinstance(body.payload, dict) else {}
    flags = int(payload.get("flags") or 0)
    allowed = SETTABLE_FLAGS | (EPHEMERAL if interaction_id is not None else 0)
    flags = (flags & allowed) | extra_flags
    errors = FormErrors()
    _validate(payload, flags, errors)
    reference = payload.get("message_reference")
    ref_id = None
    if isinstance(reference, dict) and reference.get("message_id"):
        ref_id = int(reference["message_id"])
        ref = fake.messages.get(ref_id)
        if ref is None or ref.deleted or ref.channel_id != channel.id:
            if reference.get("fail_if_not_exists", True):
                errors.add(["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
            ref_id = None
    errors.check()
    msg = FakeMessage(
        id=fake.snowflake(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author_id=author_id,
        content=payload.get("content") or "",
        embeds=[dict(e) for e in payload.get("embeds") or []],
        components=list(payload.get("components") or []),
        flags=flags,
        type=19 if ref_id is not None and msg_type == 0 else msg_type,
        created_at=fake.now(),
        reference_id=ref_id,
        webhook_id=fake.app_id if webhook else None,
        interaction_id=interaction_id,
        visible_to=visible_to if flags & EPHEMERAL else None,
    )
    msg.attachments = _attachments(fake, body, channel.id, [], limit, bool(flags & EPHEMERAL))
    _resolve_embed_images(msg.embeds, msg.attachments)
    if not flags & LOADING:
        _check_not_empty(msg, payload)
    msg.mentions = [int(uid) for uid in MENTION.findall(msg.content) if int(uid) in fake.users]
    if ref_id is not None and _mention_replied(payload):
        msg.mentions.append(fake.messages[ref_id].author_id)
    fake.store_message(msg)
    return msg


def _mention_replied(payload: dict[str, Any]) -> bool:
    allowed = payload.get("allowed_mentions") or {}
    return bool(allowed.get("replied_user", True))


def edit_message(fake: FakeDiscord, msg: FakeMessage, body: Body, *, limit: int) -> None:
    """Apply a PATCH body: given keys replace, `attachments` keeps only the listed ones."""
    payload = body.payload if isinstance(body.payload, dict) else {}
    if msg.flags & IS_VOICE_MESSAGE:
        raise ApiError(400, 50162, "Cannot edit a voice message")
    flags = msg.flags
    if "flags" in payload and payload["flags"] is not None:
        wanted = int(payload["flags"])
        flags = (flags & ~SUPPRESS_EMBEDS) | (wanted & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2))
    errors = FormErrors()
    _validate(payload, flags, errors)
    errors.check()
    attachments = _attachments(fake, body, msg.channel_id, msg.attachments, limit, msg.ephemeral)
    embeds = msg.embeds
    if "embeds" in payload:
        embeds = [dict(e) for e in payload["embeds"] or []]
    _resolve_embed_images(embeds, attachments)
    candidate = FakeMessage(
        id=msg.id,
        channel_id=msg.channel_id,
        guild_id=msg.guild_id,
        author_id=msg.author_id,
        content=msg.content if "content" not in payload else (payload["content"] or ""),
        embeds=embeds,
        components=msg.components
        if "components" not in payload
        else list(payload["components"] or []),
        attachments=attachments,
    )
    _check_not_empty(candidate, payload)
    msg.content, msg.embeds = candidate.content, candidate.embeds
    msg.components, msg.attachments = candidate.components, candidate.attachments
    if not msg.flags & LOADING:  # filling a deferred response is not an edit
        msg.edited_at = fake.now()
    msg.flags = flags & ~LOADING
    if "content" in payload:
        msg.mentions = [int(uid) for uid in MENTION.findall(msg.content) if int(uid) in fake.users]
    msg.snapshot(fake.now())
    fake.touch()
