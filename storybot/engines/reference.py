"""A book's reference picture on every painter that paints the book.

The picture of a book's characters is shared once (`ReferenceShelf.share`) and uploaded lazily:
to each server just before that server paints its first page of the book, again after the
server was down (it may have come back with an empty `input/`) or refused a page, and again
when the book shares a different picture. Each server remembers nothing for us; the shelf
remembers, per server, which book's picture (by content digest) it holds.

Uploads are named per book, `input/storybot/storybot-<owner>-reference.png`, and sent with
`overwrite`, so sharing a new picture for the same book replaces the file under the same name.
ComfyUI has no route that deletes an input file: `forget` only drops our bookkeeping, and the
file stays on the server until someone clears `input/storybot/` (one small PNG per book).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from storybot.engines.comfy_errors import ComfyProtocolError
from storybot.engines.comfyui import ComfyClient

logger = logging.getLogger(__name__)

SUBFOLDER = "storybot"
"""The folder under the server's `input/` that holds the books' reference pictures."""


@dataclass(frozen=True)
class SharedReference:
    """One book's reference picture, as uploaded to every server that paints the book."""

    owner: str
    filename: str
    data: bytes
    digest: str

    @property
    def image(self) -> str:
        """What the workflow's `reference` LoadImage takes: `storybot/<filename>`."""
        return f"{SUBFOLDER}/{self.filename}"


def reference_filename(owner: str) -> str:
    """`storybot-<owner>-reference.png`; an owner with other characters than letters, digits,
    `-` and `_` is spelled safely and told apart by a short hash."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", owner).strip("-")
    if safe != owner:
        safe = f"{safe}-{hashlib.sha256(owner.encode()).hexdigest()[:8]}".lstrip("-")
    return f"storybot-{safe}-reference.png"


class ReferenceShelf:
    """The reference shared per book, and which server already holds which."""

    def __init__(self) -> None:
        self._shared: dict[str, SharedReference] = {}
        self._held: dict[str, dict[str, str]] = {}  # server url → owner → digest it holds

    def share(self, owner: str, data: bytes) -> SharedReference:
        """Keep `data` as the book's reference; the same picture again changes nothing."""
        if not owner:
            raise ValueError("a reference picture belongs to a book: give its owner (run id)")
        digest = hashlib.sha256(data).hexdigest()
        shared = self._shared.get(owner)
        if shared is None or shared.digest != digest:
            shared = SharedReference(owner, reference_filename(owner), data, digest)
            self._shared[owner] = shared
        return shared

    def get(self, owner: str) -> SharedReference | None:
        """The book's reference, if it shared one."""
        return self._shared.get(owner)

    async def ensure(self, client: ComfyClient, shared: SharedReference) -> None:
        """Upload the book's picture to this server unless it already holds this very one.

        The caller holds the server (one job at a time), so two uploads never race on it."""
        held = self._held.setdefault(client.url, {})
        if held.get(shared.owner) == shared.digest:
            return
        name = await client.upload_image(shared.data, shared.filename, subfolder=SUBFOLDER)
        if name != shared.image:  # with overwrite the server keeps the name it was given
            raise ComfyProtocolError(
                f"ComfyUI at {client.url} stored the reference as {name!r}, not {shared.image!r}",
                client.url,
            )
        logger.info("reference of %s uploaded to %s as %s", shared.owner, client.url, name)
        if self._shared.get(shared.owner) is shared:  # not forgotten or replaced meanwhile
            held[shared.owner] = shared.digest

    def lost(self, url: str, owner: str | None = None) -> None:
        """The server may no longer hold the book's picture (or any, when `owner` is None):
        upload again before it paints."""
        if owner is None:
            self._held.pop(url, None)
        else:
            self._held.get(url, {}).pop(owner, None)

    def forget(self, owner: str) -> None:
        """The book is done: drop its picture and what each server held of it."""
        self._shared.pop(owner, None)
        for held in self._held.values():
            held.pop(owner, None)
