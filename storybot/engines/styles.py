"""Picture styles: the presets `/story style:` and `--style` offer.

Each preset is a prefix put before every page's image prompt and extra negative terms. They
are defined once, in `workflows/styles.json`; an operator's file (IMAGE_STYLES) is laid over
that one: a name it repeats replaces the fields it gives, a new name adds a preset, `null`
removes one. The default preset (watercolor) always stays, and Discord allows at most 25.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from storybot.errors import ConfigError
from storybot.paths import WORKFLOWS_DIR

log = logging.getLogger(__name__)

BUILTIN_STYLES = WORKFLOWS_DIR / "styles.json"
DEFAULT_STYLE = "watercolor"
MAX_STYLES = 25  # Discord's limit on an option's choices
MAX_LABEL = 100  # Discord's limit on a choice's name
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
"""Style names: short, lower case, easy to type after `--style`."""


class StyleError(ConfigError):
    """The styles file cannot be used; the message names the file, the style and the key."""


@dataclass(frozen=True)
class Style:
    """One preset: how Discord shows it and what it adds to the prompts."""

    name: str
    label_ko: str
    label_en: str
    prefix: str
    negative: str = ""

    def label(self, locale: str) -> str:
        """The label in `locale` ("en", else Korean)."""
        return self.label_en if locale == "en" else self.label_ko


_KEYS = tuple(f.name for f in fields(Style) if f.name != "name")
_REQUIRED = ("label_ko", "label_en", "prefix")


def load_styles(path: Path | str | None = None) -> dict[str, Style]:
    """The built-in presets with the file at `path` laid over them, in file order.

    Raise `StyleError` naming the setting, the file, the style and the key that is wrong;
    the bot and the CLI load the styles at start-up, so a bad file stops them there."""
    styles = _read(BUILTIN_STYLES, {})
    if path is not None and Path(path).resolve() != BUILTIN_STYLES.resolve():
        try:
            styles = _read(Path(path), styles)
        except StyleError as exc:  # the operator's file: name the setting that points at it
            raise StyleError(f"IMAGE_STYLES: {exc}") from None
        log.debug("styles from %s: %s", path, ", ".join(styles))
    where = f"IMAGE_STYLES: {path}" if path is not None else BUILTIN_STYLES
    if DEFAULT_STYLE not in styles:
        raise StyleError(f"{where}: the default style {DEFAULT_STYLE!r} cannot be removed")
    if len(styles) > MAX_STYLES:
        raise StyleError(
            f"{where}: {len(styles)} styles, but Discord offers at most {MAX_STYLES} choices"
        )
    return styles


@functools.cache
def default_style() -> Style:
    """The built-in default (today's watercolor look); read once."""
    return _read(BUILTIN_STYLES, {})[DEFAULT_STYLE]


def resolve_style(name: str | None, styles: dict[str, Style]) -> Style:
    """The preset called `name` (None: the default); `StyleError` listing the names if none."""
    style = styles.get(name or DEFAULT_STYLE)
    if style is None:
        raise StyleError(f"unknown style {name!r}; choose one of: {', '.join(styles)}")
    return style


def _read(path: Path, base: dict[str, Style]) -> dict[str, Style]:
    """`base` with the presets of the file at `path` laid over it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StyleError(f"styles file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StyleError(f"styles file {path} cannot be read: {exc}") from None
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: absurd nesting
        raise StyleError(f"styles file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise StyleError(f'{path}: expected an object of styles, e.g. {{"crayon": {{…}}}}')
    styles = dict(base)
    for name, preset in data.items():
        if name.startswith("_"):  # "_comment": JSON has no comments of its own
            continue
        if not NAME.fullmatch(name):
            raise StyleError(
                f"{path}: style name {name!r} must be 1-32 of a-z, 0-9, _ and -, "
                "starting with a letter or digit"
            )
        if preset is None:
            styles.pop(name, None)
            continue
        styles[name] = _style(path, name, preset, styles.get(name))
    return styles


def _style(path: Path, name: str, preset: Any, base: Style | None) -> Style:
    """One preset; the fields it leaves out come from the preset it replaces."""
    if not isinstance(preset, dict):
        raise StyleError(f"{path}: style {name!r} must be an object (or null to remove it)")
    unknown = [key for key in preset if key not in _KEYS]
    if unknown:
        raise StyleError(
            f"{path}: style {name!r} has unknown key {unknown[0]!r} (keys: {', '.join(_KEYS)})"
        )
    values = {key: getattr(base, key) for key in _KEYS} if base is not None else {}
    values.update(preset)
    for key in _KEYS:
        value = values.get(key, "")
        if not isinstance(value, str):
            raise StyleError(f"{path}: style {name!r}: {key!r} must be a string")
        values[key] = value.strip().strip(",").strip()
        if key in _REQUIRED and not values[key]:
            raise StyleError(f"{path}: style {name!r}: {key!r} is missing or empty")
        if key.startswith("label") and len(values[key]) > MAX_LABEL:
            raise StyleError(
                f"{path}: style {name!r}: {key!r} is longer than {MAX_LABEL} characters"
            )
    return Style(name=name, **values)
