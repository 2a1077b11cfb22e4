"""`POST /upload/image` and the files `LoadImage` may load, as ComfyUI 0.3.64 does it.

The route's fields and answer are §3.4 of the spec; the rename and duplicate rules follow the
real `server.py` (`image_upload`, `compare_image_hash`): without `overwrite` ("true"/"1") a name
already taken by other content becomes `stem (1).ext`, `stem (2).ext`, …, and content identical
to the file under the name tried is not written again (the answer names that file). An unknown
`type` crashes the real handler (500); no `image` or an empty filename is a 400 with no body;
a path leaving the type's folder is a 400. `LoadImage`'s own check (`VALIDATE_INPUTS` →
`folder_paths.exists_annotated_filepath`) accepts `sub/name.png` and `name.png [output]`.
"""

from __future__ import annotations

import posixpath
from typing import Any

from aiohttp import web

Files = dict[tuple[str, str, str], bytes]
"""What a fake server holds: (type, subfolder, name) → bytes; `type` input, output or temp."""

KINDS = ("input", "temp", "output")


async def receive_upload(request: web.Request, files: Files) -> tuple[web.Response, dict | None]:
    """Store one upload in `files`; the answer, and a record of what came (None if refused)."""
    post = await request.post()
    kind = post.get("type")
    kind = "input" if kind is None else kind
    if kind not in KINDS:  # get_dir_by_type leaves its folder unset: UnboundLocalError → 500
        raise RuntimeError(f"cannot access local variable 'type_dir' (type {kind!r})")
    image = post.get("image")
    if not image:
        return web.Response(status=400), None
    if not isinstance(image, web.FileField):  # `image.file` on a text field → 500
        raise RuntimeError("'str' object has no attribute 'file'")
    filename = image.filename
    if not filename:
        return web.Response(status=400), None
    subfolder = str(post.get("subfolder", ""))
    overwrite = post.get("overwrite")
    data = image.file.read()
    place = _place(subfolder, filename)
    if place is None:
        return web.Response(status=400), None
    stem, ext = posixpath.splitext(filename)
    duplicate = False
    if overwrite not in ("true", "1"):
        number = 1
        while (kind, *place) in files:
            if files[(kind, *place)] == data:
                duplicate = True
                break
            filename = f"{stem} ({number}){ext}"
            place = _place(subfolder, filename) or place
            number += 1
    if not duplicate:
        files[(kind, *place)] = data
    record = {
        "name": filename,
        "subfolder": subfolder,
        "type": kind,
        "overwrite": overwrite,
        "filename": image.filename,
        "content_type": image.content_type,
        "data": data,
        "duplicate": duplicate,
    }
    answer = {"name": filename, "subfolder": subfolder, "type": kind}
    return web.json_response(answer), record


def _place(subfolder: str, filename: str) -> tuple[str, str] | None:
    """(subfolder, name) inside the type's folder, or None when the path leaves it."""
    path = posixpath.normpath(posixpath.join(posixpath.normpath(subfolder or "."), filename))
    if path.startswith("/") or path == ".." or path.startswith("../") or path == ".":
        return None
    folder, _, name = path.rpartition("/")
    return folder, name


def can_load(files: Files, value: Any) -> bool:
    """`exists_annotated_filepath`: `name [output]`/`[input]`/`[temp]` picks the folder."""
    name, kind = str(value), "input"
    for tag in KINDS:
        if name.endswith(f"[{tag}]"):
            name, kind = name[: -len(tag) - 3], tag
            break
    place = _place("", name)
    return place is not None and (kind, *place) in files


def load_image_error(value: Any) -> dict[str, Any]:
    """The real refusal of a `LoadImage` whose file is not there (spec §3.1, verbatim shape)."""
    return {
        "type": "custom_validation_failed",
        "message": "Custom validation failed for node",
        "details": f"image - Invalid image file: {value}",
        "extra_info": {"input_name": "image"},
    }


def input_images(files: Files) -> list[str]:
    """What `/object_info/LoadImage` offers: the files directly in input/ (not subfolders)."""
    return sorted(name for kind, folder, name in files if kind == "input" and not folder)
