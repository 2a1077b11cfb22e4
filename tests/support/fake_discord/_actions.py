"""What a Discord client lets a user do: run a synced command, press a button, submit a modal,
pick from a select, send a (voice) message. Each checks what the real client would refuse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import _payloads as P
from ._interactions import APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT, FakeInteraction
from ._messages import MENTION, attachment_from
from ._model import (
    IS_VOICE_MESSAGE,
    FakeAttachment,
    FakeMessage,
    FakeUser,
    ogg_duration,
    walk_components,
    waveform,
)

if TYPE_CHECKING:
    from ._server import FakeDiscord

FileSpec = tuple[str, bytes] | tuple[str, bytes, str] | FakeAttachment
OPTION_TYPES = {
    3: "string",
    4: "integer",
    5: "boolean",
    6: "user",
    7: "channel",
    8: "role",
    10: "number",
    11: "attachment",
}


def _matches(obj: Mapping[str, Any], name: str) -> bool:
    return obj.get("name") == name or name in (obj.get("name_localizations") or {}).values()


class UserActions:
    """Mixed into FakeDiscord; every method acts as a user in a Discord client."""

    async def _start(self: FakeDiscord, inter: FakeInteraction) -> FakeInteraction:
        self.interactions[inter.id] = inter
        self.interactions_by_token[inter.token] = inter
        await self.gateway.dispatch("INTERACTION_CREATE", inter.payload(), guild_id=inter.guild_id)
        self.touch()
        return inter

    def _command(self: FakeDiscord, name: str, guild: bool, user: FakeUser) -> dict[str, Any]:
        scopes = [self.guild.id, None] if guild else [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd.get("type", 1) == 1 and _matches(cmd, name):
                    contexts = cmd.get("contexts")
                    if contexts is not None and (0 if guild else 1) not in contexts:
                        raise LookupError(f"/{name} is not offered in this context")
                    needed = cmd.get("default_member_permissions")
                    if guild and needed is not None:
                        perms = P.permissions_in(self, user.id, self.channels[self.channel_id])
                        if int(needed) & ~perms:
                            raise PermissionError(f"{user.username} cannot see /{name}")
                    return cmd
        raise LookupError(f"/{name} was never synced ({'guild or global' if guild else 'global'})")

    async def invoke_command(
        self: FakeDiscord,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        locale: str | None = None,
        guild: bool = True,
        channel_id: int | None = None,
    ) -> FakeInteraction:
        """Run a synced slash command (`"story"`, or `"group sub"`); INTERACTION_CREATE type 2."""
        user = user or self.alice
        first, *subs = name.strip("/").split()
        cmd = self._command(first, guild, user)
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        defs, target = cmd.get("options") or [], data
        for sub in subs:
            found = next((o for o in defs if o["type"] in (1, 2) and _matches(o, sub)), None)
            if found is None:
                raise LookupError(f"/{first} has no subcommand {sub!r}")
            nested: dict[str, Any] = {"name": found["name"], "type": found["type"]}
            target.setdefault("options", []).append(nested)
            defs, target = found.get("options") or [], nested
        resolved: dict[str, dict[str, Any]] = {}
        target["options"] = target.get("options", []) + self._options(
            first, defs, options or {}, resolved
        )
        if resolved:
            data["resolved"] = resolved
        channel = self.channels[channel_id or self.channel_id] if guild else self.dm_channel(user)
        inter = FakeInteraction(
            self,
            type=APPLICATION_COMMAND,
            user=user,
            channel_id=channel.id,
            data=data,
            locale=locale or user.locale,
        )
        return await self._start(inter)

    def _options(
        self: FakeDiscord,
        command: str,
        defs: list[dict[str, Any]],
        given: Mapping[str, Any],
        resolved: dict[str, dict[str, Any]],
    ) -> list[dict]:
        out = []
        for key, value in given.items():
            spec = next((d for d in defs if _matches(d, key) and d["type"] not in (1, 2)), None)
            if spec is None:
                raise ValueError(f"/{command} has no option {key!r}")
            if value is None:
                continue
            out.append(
                {
                    "name": spec["name"],
                    "type": spec["type"],
                    "value": self._option_value(spec, value, resolved),
                }
            )
        sent = {o["name"] for o in out}
        missing = [d["name"] for d in defs if d.get("required") and d["name"] not in sent]
        if missing:
            raise ValueError(f"/{command} needs {missing}")
        return out

    def _option_value(
        self: FakeDiscord, spec: dict[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        kind, name = spec["type"], spec["name"]
        if kind == 3:
            value = str(value)
            low, high = spec.get("min_length", 1), spec.get("max_length", 6000)
            if not max(low, 1) <= len(value) <= high:
                raise ValueError(f"option {name}: length must be within {low}..{high}")
        elif kind in (4, 10):
            value = int(value) if kind == 4 else float(value)
            if not spec.get("min_value", -(2**53)) <= value <= spec.get("max_value", 2**53):
                raise ValueError(f"option {name}: {value} out of range")
        elif kind == 5:
            value = bool(value)
        elif kind == 6:
            resolved.setdefault("users", {})[str(value.id)] = P.user(value)
            if value.id in self.guild.member_ids:
                member = P.member(self, value, self.channels[self.channel_id], with_user=False)
                resolved.setdefault("members", {})[str(value.id)] = member
            value = str(value.id)
        elif kind == 11:
            att = value if isinstance(value, FakeAttachment) else self.add_cdn_file(*value)
            resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
            value = str(att.id)
        else:
            raise ValueError(f"option {name}: type {OPTION_TYPES.get(kind, kind)} unsupported")
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"option {name}: {value!r} is not one of the choices")
        return value

    def add_cdn_file(
        self: FakeDiscord, filename: str, data: bytes, content_type: str | None = None
    ) -> FakeAttachment:
        """A file served by the fake CDN (an attachment option, a test fixture)."""
        att = attachment_from(self, self.channel_id, filename, data, content_type)
        self.touch()
        return att

    async def click_button(
        self: FakeDiscord,
        message_id: int,
        custom_id: str,
        *,
        user: FakeUser | None = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        """Press an enabled button on a message; INTERACTION_CREATE type 3."""
        user = user or self.alice
        msg = self._visible(message_id, user)
        button = msg.button(custom_id)
        if button is None:
            ids = [b.get("custom_id") or b.get("url") for b in msg.buttons]
            raise LookupError(f"message {message_id} has no button {custom_id!r}: {ids}")
        if button.get("disabled"):
            raise PermissionError(f"button {custom_id!r} is disabled")
        data = {"custom_id": custom_id, "component_type": 2}
        if "id" in button:
            data["id"] = button["id"]
        return await self._component(msg, data, user, locale)

    async def select(
        self: FakeDiscord,
        message_id: int,
        custom_id: str,
        values: Sequence[str],
        *,
        user: FakeUser | None = None,
    ) -> FakeInteraction:
        """Pick options from a string select; INTERACTION_CREATE type 3."""
        user = user or self.alice
        msg = self._visible(message_id, user)
        menu = next(
            (
                c
                for c in walk_components(msg.components)
                if c.get("type") == 3 and c.get("custom_id") == custom_id
            ),
            None,
        )
        if menu is None or menu.get("disabled"):
            raise LookupError(f"message {message_id} has no usable select {custom_id!r}")
        offered = {o["value"] for o in menu.get("options", [])}
        if not set(values) <= offered or not (
            menu.get("min_values", 1) <= len(values) <= menu.get("max_values", 1)
        ):
            raise ValueError(f"select {custom_id!r} cannot take {list(values)}")
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        return await self._component(msg, data, user, None)

    def _visible(self: FakeDiscord, message_id: int, user: FakeUser) -> FakeMessage:
        msg = self.message(message_id)
        if msg.deleted or (msg.ephemeral and msg.visible_to != user.id):
            raise LookupError(f"{user.username} cannot see message {message_id}")
        return msg

    async def _component(
        self: FakeDiscord,
        msg: FakeMessage,
        data: dict[str, Any],
        user: FakeUser,
        locale: str | None,
    ) -> FakeInteraction:
        inter = FakeInteraction(
            self,
            type=MESSAGE_COMPONENT,
            user=user,
            channel_id=msg.channel_id,
            data=data,
            locale=locale or user.locale,
            source_message_id=msg.id,
        )
        return await self._start(inter)

    async def submit_modal(
        self: FakeDiscord,
        custom_id: str | None,
        values: Mapping[str, str],
        *,
        user: FakeUser | None = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        """Submit the modal the bot opened for `user` (`custom_id` None: the latest one);
        INTERACTION_CREATE type 5."""
        user = user or self.alice
        opener = next(
            (
                i
                for i in reversed(self.interactions.values())
                if i.modal
                and custom_id in (None, i.modal.get("custom_id"))
                and i.user.id == user.id
            ),
            None,
        )
        if opener is None or opener.modal is None:
            raise LookupError(f"no modal {custom_id!r} is open for {user.username}")
        modal, opener.modal = opener.modal, None  # a modal is submitted once
        custom_id = modal["custom_id"]
        unknown = set(values) - {c.get("custom_id") for c in walk_components(modal["components"])}
        if unknown:
            raise LookupError(f"modal {custom_id!r} has no inputs {sorted(unknown)}")
        components = [self._submitted(row, values) for row in modal["components"]]
        data = {"custom_id": custom_id, "components": components}
        inter = FakeInteraction(
            self,
            type=MODAL_SUBMIT,
            user=user,
            channel_id=opener.channel_id,
            data=data,
            locale=locale or user.locale,
            source_message_id=opener.source_message_id,
        )
        return await self._start(inter)

    @staticmethod
    def _submitted(row: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
        def item(comp: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {"type": comp["type"], "custom_id": comp.get("custom_id")}
            if "id" in comp:
                out["id"] = comp["id"]
            if comp["type"] != 4:
                out["values"] = list(values.get(comp.get("custom_id"), []))
                return out
            value = values.get(comp["custom_id"], comp.get("value") or "")
            low, high = comp.get("min_length", 0), comp.get("max_length", 4000)
            if comp.get("required", True) and not value:
                raise ValueError(f"modal input {comp['custom_id']!r} is required")
            if value and not low <= len(value) <= high:
                raise ValueError(f"modal input {comp['custom_id']!r}: length {low}..{high}")
            out["value"] = value
            return out

        if row["type"] == 1:
            return {"type": 1, "components": [item(c) for c in row.get("components", [])]}
        if row["type"] == 18:
            return {"type": 18, "id": row.get("id"), "component": item(row["component"])}
        return {"type": row["type"], "id": row.get("id")}

    async def send_message(
        self: FakeDiscord,
        channel_id: int,
        content: str = "",
        *,
        attachments: Sequence[FileSpec] = (),
        voice: bool = False,
        duration: float | None = None,
        reply_to: int | None = None,
        mention_author: bool = True,
        user: FakeUser | None = None,
    ) -> FakeMessage:
        """A user's message (MESSAGE_CREATE). `voice=True` sends one OGG/Opus clip as a voice
        message: flag 8192, duration_secs, waveform, audio/ogg, served by the fake CDN."""
        user = user or self.alice
        channel = self.channels[channel_id]
        if voice and (content or len(attachments) != 1):
            raise ValueError("a voice message is exactly one audio attachment and no text")
        files: list[FakeAttachment] = []
        for spec in attachments:
            if isinstance(spec, FakeAttachment):
                files.append(spec)
                continue
            name, data, *ctype = spec
            if voice:
                name, ctype = "voice-message.ogg", ["audio/ogg"]
            att = attachment_from(self, channel.id, name, data, ctype[0] if ctype else None)
            if voice:
                att.content_type = "audio/ogg"
                att.duration_secs = duration or ogg_duration(data) or 1.0
                att.waveform = waveform(data)
            files.append(att)
        if reply_to is not None and self.message(reply_to).channel_id != channel.id:
            raise LookupError(f"message {reply_to} is not in channel {channel_id}")
        mentions = [int(u) for u in MENTION.findall(content) if int(u) in self.users]
        if reply_to is not None and mention_author:
            mentions.append(self.messages[reply_to].author_id)
        msg = FakeMessage(
            id=self.snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=user.id,
            content=content,
            attachments=files,
            flags=IS_VOICE_MESSAGE if voice else 0,
            type=19 if reply_to else 0,
            created_at=self.now(),
            mentions=mentions,
            reference_id=reply_to,
        )
        self.store_message(msg)
        await self.gateway.message_event("MESSAGE_CREATE", msg)
        return msg
