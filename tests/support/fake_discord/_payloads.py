"""JSON objects as Discord renders them: users, members, roles, channels, guilds and messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._model import (
    ALL_PERMISSIONS,
    PERMISSIONS,
    FakeChannel,
    FakeMessage,
    FakeRole,
    FakeUser,
    iso,
    snowflake_time,
)

if TYPE_CHECKING:
    from ._server import FakeDiscord

DM_PERMISSIONS = sum(
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
    )
)
BOOSTS_FOR_TIER = {0: 0, 1: 2, 2: 7, 3: 14}


def user(u: FakeUser) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if u.bot:
        out["bot"] = True
    return out


def role(r: FakeRole, bot_id: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "description": None,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": bot_id is not None,
        "mentionable": False,
        "flags": 0,
    }
    if bot_id is not None:
        out["tags"] = {"bot_id": str(bot_id)}
    return out


def permissions_in(fake: FakeDiscord, user_id: int, channel: FakeChannel) -> int:
    """A user's permissions in a channel: roles, then @everyone/role/member overwrites."""
    if channel.guild_id is None:
        return DM_PERMISSIONS
    guild = fake.guild
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = fake.users[user_id]
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        perms |= guild.roles[role_id].permissions
    if perms & PERMISSIONS["administrator"]:
        return ALL_PERMISSIONS
    overwrites = {int(o["id"]): o for o in channel.overwrites}

    def apply(perms: int, allow: int, deny: int) -> int:
        return (perms & ~deny) | allow

    if (o := overwrites.get(guild.id)) is not None:
        perms = apply(perms, int(o["allow"]), int(o["deny"]))
    allow = deny = 0
    for role_id in member.roles:
        if (o := overwrites.get(role_id)) is not None and o["type"] == 0:
            allow, deny = allow | int(o["allow"]), deny | int(o["deny"])
    perms = apply(perms, allow, deny)
    if (o := overwrites.get(user_id)) is not None and o["type"] == 1:
        perms = apply(perms, int(o["allow"]), int(o["deny"]))
    if not perms & PERMISSIONS["view_channel"]:
        return 0
    return perms


def member(
    fake: FakeDiscord, u: FakeUser, channel: FakeChannel | None = None, with_user: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "roles": [str(r) for r in u.roles],
        "nick": None,
        "avatar": None,
        "banner": None,
        "joined_at": iso(u.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        out["user"] = user(u)
    if channel is not None:
        out["permissions"] = str(permissions_in(fake, u.id, channel))
    return out


def channel(fake: FakeDiscord, ch: FakeChannel) -> dict[str, Any]:
    last = str(ch.last_message_id) if ch.last_message_id else None
    if ch.type == 1:
        recipient = fake.users[ch.recipient_id or 0]
        return {
            "id": str(ch.id),
            "type": 1,
            "recipients": [user(recipient)],
            "last_message_id": last,
            "flags": 0,
        }
    return {
        "id": str(ch.id),
        "type": ch.type,
        "guild_id": str(ch.guild_id),
        "name": ch.name,
        "position": ch.position,
        "permission_overwrites": list(ch.overwrites),
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "last_message_id": last,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild(fake: FakeDiscord) -> dict[str, Any]:
    """The guild object of GET /guilds/{id} and GUILD_UPDATE."""
    g = fake.guild
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [
            role(r, fake.bot_user.id if r.id == fake.bot_role_id else None)
            for r in g.roles.values()
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": g.premium_tier,
        "premium_subscription_count": BOOSTS_FOR_TIER.get(g.premium_tier, 0),
        "preferred_locale": g.preferred_locale,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "incidents_data": None,
    }


def guild_create(fake: FakeDiscord, intents: int) -> dict[str, Any]:
    """GUILD_CREATE: members beyond the bot only with GUILD_PRESENCES, as the real gateway."""
    g = fake.guild
    listed = [fake.bot_user.id]
    if intents & (1 << 8):
        listed = list(g.member_ids)
    return {
        **guild(fake),
        "joined_at": iso(fake.bot_user.joined_at),
        "large": False,
        "unavailable": False,
        "lazy": True,
        "member_count": len(g.member_ids),
        "voice_states": [],
        "members": [member(fake, fake.users[uid]) for uid in listed],
        "channels": [channel(fake, fake.channels[cid]) for cid in g.channel_ids],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def message(fake: FakeDiscord, msg: FakeMessage, *, event: bool = False) -> dict[str, Any]:
    """A message as REST returns it; `event` adds the gateway's guild_id and member."""
    author = fake.users[msg.author_id]
    out: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "author": user(author),
        "content": msg.content,
        "timestamp": iso(msg.created_at or snowflake_time(msg.id)),
        "edited_timestamp": iso(msg.edited_at) if msg.edited_at else None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [user(fake.users[uid]) for uid in msg.mentions if uid in fake.users],
        "mention_roles": [],
        "attachments": [a.to_dict() for a in msg.attachments],
        "embeds": list(msg.embeds),
        "pinned": False,
        "type": msg.type,
        "flags": msg.flags,
        "components": list(msg.components),
    }
    if msg.reactions:
        out["reactions"] = [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": fake.bot_user.id in users,
                "me_burst": False,
                "emoji": _emoji(name),
                "burst_colors": [],
            }
            for name, users in msg.reactions.items()
            if users
        ]
    if msg.webhook_id is not None:
        out["webhook_id"] = str(msg.webhook_id)
        out["application_id"] = str(fake.app_id)
    if msg.interaction_id is not None and msg.interaction_id in fake.interactions:
        out.update(fake.interactions[msg.interaction_id].metadata())
    if msg.reference_id is not None:
        ref = fake.messages.get(msg.reference_id)
        out["message_reference"] = {
            "type": 0,
            "message_id": str(msg.reference_id),
            "channel_id": str(msg.channel_id),
        }
        if msg.guild_id is not None:
            out["message_reference"]["guild_id"] = str(msg.guild_id)
        out["referenced_message"] = (
            message(fake, ref) if ref is not None and not ref.deleted else None
        )
    if event and msg.guild_id is not None:
        out["guild_id"] = str(msg.guild_id)
        out["member"] = member(fake, author, with_user=False)
    return out


def _emoji(name: str) -> dict[str, Any]:
    custom_name, _, custom_id = name.partition(":")
    if custom_id:
        return {"id": custom_id, "name": custom_name}
    return {"id": None, "name": name}


def reaction_event(fake: FakeDiscord, msg: FakeMessage, emoji: str, user_id: int) -> dict:
    out: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(msg.channel_id),
        "message_id": str(msg.id),
        "emoji": _emoji(emoji),
        "burst": False,
        "type": 0,
    }
    if msg.guild_id is not None:
        out["guild_id"] = str(msg.guild_id)
        out["member"] = member(fake, fake.users[user_id])
        out["message_author_id"] = str(msg.author_id)
    return out
