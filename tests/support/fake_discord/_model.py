"""The fake's data: snowflakes, users, channels, messages, attachments and recorded requests."""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
MiB = 1024 * 1024
DEFAULT_FILESIZE_LIMIT = 10 * MiB  # discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
PREMIUM_FILESIZE_LIMITS = {0: 10 * MiB, 1: 10 * MiB, 2: 50 * MiB, 3: 100 * MiB}

# Gateway intents (gateway.mdx "List of Intents").
INTENTS = {
    "guilds": 1 << 0,
    "members": 1 << 1,
    "presences": 1 << 8,
    "guild_messages": 1 << 9,
    "guild_reactions": 1 << 10,
    "dm_messages": 1 << 12,
    "dm_reactions": 1 << 13,
    "message_content": 1 << 15,
}
PRIVILEGED = {"members", "presences", "message_content"}

# Permission bits (permissions.mdx).
PERMISSIONS = {
    "administrator": 1 << 3,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "use_external_emojis": 1 << 18,
    "use_application_commands": 1 << 31,
    "send_messages_in_threads": 1 << 38,
    "send_voice_messages": 1 << 46,
}
ALL_PERMISSIONS = (1 << 53) - 1
EVERYONE_PERMISSIONS = 2248473465835073  # Discord's default @everyone set (no Manage Server)
BOT_ROLE_PERMISSIONS = sum(
    PERMISSIONS[name]
    for name in (
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "add_reactions",
        "use_external_emojis",
        "use_application_commands",
        "send_messages_in_threads",
    )
)

# Message flags (message.mdx "Message Flags").
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15


def iso(ts: float) -> str:
    """Discord's ISO 8601 timestamp for a POSIX time."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def snowflake_time(snowflake: int) -> float:
    """The POSIX time a snowflake was made at."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


class Snowflakes:
    """Ids with real timestamps, strictly increasing: ((ms - epoch) << 22) | worker | n."""

    def __init__(self) -> None:
        self._last = 0

    def make(self, at: float) -> int:
        value = ((int(at * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        self._last = max(value, self._last + 1)
        return self._last


@dataclass
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    locale: str = "ko"
    roles: list[int] = field(default_factory=list)  # guild role ids (besides @everyone)
    joined_at: float = 1704067200.0  # 2024-01-01

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int
    position: int = 0


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    premium_tier: int = 0
    preferred_locale: str = "ko"
    roles: dict[int, FakeRole] = field(default_factory=dict)
    member_ids: list[int] = field(default_factory=list)
    channel_ids: list[int] = field(default_factory=list)

    @property
    def filesize_limit(self) -> int:
        return PREMIUM_FILESIZE_LIMITS.get(self.premium_tier, DEFAULT_FILESIZE_LIMIT)


@dataclass
class FakeChannel:
    id: int
    type: int  # 0 guild text, 1 DM
    name: str = ""
    guild_id: int | None = None
    position: int = 0
    recipient_id: int | None = None  # DMs
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    last_message_id: int | None = None


@dataclass
class FakeAttachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    description: str | None = None
    duration_secs: float | None = None
    waveform: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "flags": 0,
        }
        if self.content_type:
            out["content_type"] = self.content_type
        if self.description:
            out["description"] = self.description
        dims = image_size(self.data)
        if dims:
            out["width"], out["height"] = dims
        if self.duration_secs is not None:
            out["duration_secs"] = self.duration_secs
            out["waveform"] = self.waveform
        if self.ephemeral:
            out["ephemeral"] = True
        return out


@dataclass
class Revision:
    """What a message looked like after one create or edit."""

    at: float
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[str]  # file names


@dataclass
class FakeMessage:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    created_at: float = 0.0
    edited_at: float | None = None
    mentions: list[int] = field(default_factory=list)
    reference_id: int | None = None  # the message this one replies to
    webhook_id: int | None = None
    interaction_id: int | None = None
    visible_to: int | None = None  # ephemeral messages: the one user who sees them
    deleted: bool = False
    reactions: dict[str, list[int]] = field(default_factory=dict)  # emoji → user ids
    revisions: list[Revision] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def attachment_names(self) -> list[str]:
        return [a.filename for a in self.attachments]

    @property
    def embed(self) -> dict[str, Any] | None:
        return self.embeds[0] if self.embeds else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Every button on the message, in order, at any depth."""
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    def button(self, custom_id: str) -> dict[str, Any] | None:
        return next((b for b in self.buttons if b.get("custom_id") == custom_id), None)

    @property
    def text(self) -> str:
        """Content plus every embed's visible text, for loose assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields", [])]
            parts += [
                embed.get("footer", {}).get("text", ""),
                embed.get("author", {}).get("name", ""),
            ]
        return "\n".join(p for p in parts if p)

    def snapshot(self, at: float) -> None:
        self.revisions.append(
            Revision(
                at, self.content, list(self.embeds), list(self.components), self.attachment_names
            )
        )


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components depth first (action rows, containers, sections and labels included)."""
    out: list[dict[str, Any]] = []
    for comp in components:
        out.append(comp)
        out += walk_components(comp.get("components", []))
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                out += walk_components([comp[key]])
    return out


@dataclass
class RecordedFile:
    name: str  # the form field, "files[0]"
    filename: str
    size: int
    content_type: str | None


@dataclass
class RecordedRequest:
    method: str
    path: str  # after /api/v10, e.g. "/channels/1/messages"
    route: str  # the template, e.g. "/channels/{channel_id}/messages"; "" when unknown
    query: dict[str, str]
    json: Any = None  # the JSON body or the multipart payload_json
    files: list[RecordedFile] = field(default_factory=list)
    status: int = 0
    authorized: bool = False
    at: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"


# -- media facts the real servers derive from uploads ------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP (what Discord reports), else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        kind = data[12:16]
        if kind == b"VP8X":
            w, h = data[24:27] + b"\0", data[27:30] + b"\0"
            return struct.unpack("<I", w)[0] + 1, struct.unpack("<I", h)[0] + 1
        if kind == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if kind == b"VP8L":
            bits = struct.unpack("<I", data[21:25])[0]
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + length
    return None


def ogg_duration(data: bytes) -> float | None:
    """Seconds of an Ogg/Opus file from its last page's granule position (48 kHz), else None."""
    last = data.rfind(b"OggS")
    if not data.startswith(b"OggS") or last < 0 or len(data) < last + 14:
        return None
    granule = struct.unpack("<q", data[last + 6 : last + 14])[0]
    head = data.find(b"OpusHead")
    pre_skip = struct.unpack("<H", data[head + 10 : head + 12])[0] if head >= 0 else 0
    return round(max(granule - pre_skip, 0) / 48000, 2)


def waveform(data: bytes) -> str:
    """A deterministic 256-byte waveform, base64 (Discord's clients send ≤256 bytes)."""
    digest = b"".join(hashlib.sha256(data + bytes([i])).digest() for i in range(8))
    return base64.b64encode(digest).decode()
