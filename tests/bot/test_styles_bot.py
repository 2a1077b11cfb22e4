"""/story's style option on the fake Discord: its choices come from the styles file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storybot.engines.styles import load_styles
from tests.support.fake_discord import EPHEMERAL

if TYPE_CHECKING:
    from tests.support.bot_harness import Harness

pytest_plugins = ["tests.support.bot_harness"]

FULL = {"era": "조선시대", "place": "궁궐", "characters": "호랑이, 토끼", "topic": "우정"}
SKETCH = {"label_ko": "연필 스케치", "label_en": "Pencil sketch", "prefix": "graphite sketch"}


def style_option(commands: list[dict[str, Any]]) -> dict[str, Any]:
    story = next(c for c in commands if c["name"] == "story")
    return next(o for o in story["options"] if o["name"] == "style")


async def test_story_offers_the_presets_with_korean_and_english_labels(harness: Harness) -> None:
    await harness.start()
    option = style_option(harness.fake.commands[None])
    assert option["type"] == 3 and not option["required"]
    assert option["name_localizations"]["ko"] == "그림체"
    assert option["description_localizations"]["en-US"] == "Picture style (default: watercolor)"
    styles = load_styles()
    assert [c["value"] for c in option["choices"]] == list(styles)
    for choice in option["choices"]:
        style = styles[choice["value"]]
        assert choice["name"] == style.label_ko
        assert choice["name_localizations"]["en-US"] == style.label_en
        assert choice["name_localizations"]["en-GB"] == style.label_en
    assert option["choices"][4] == {
        "name": "민화",
        "value": "minhwa",
        "name_localizations": {
            "en-US": "Minhwa (Korean folk painting)",
            "en-GB": "Minhwa (Korean folk painting)",
        },
    }


async def test_an_operators_style_is_offered_and_reaches_the_request(
    harness: Harness, tmp_path: Path
) -> None:
    fake = harness.fake
    styles = tmp_path / "styles.json"
    styles.write_text(json.dumps({"sketch": SKETCH, "clay": None}, ensure_ascii=False))
    harness.comfy.hang = True  # the book stays on its cover until cancelled
    await harness.start(image_styles=styles)
    values = [c["value"] for c in style_option(fake.commands[None])["choices"]]
    assert values[-1] == "sketch" and "clay" not in values and len(values) == 7

    await fake.invoke_command("story", {**FULL, "style": "sketch"}, user=fake.alice)
    book = await harness.book_message()
    run_id = harness.run_id_of(book)
    assert run_id is not None and harness.stored_request(run_id).style == "sketch"
    await fake.click_button(book.id, f"storybot:cancel:{run_id}", user=fake.alice)
    await fake.wait_for(lambda: "🛑" in book.text)


async def test_the_builder_keeps_the_style_until_start(harness: Harness) -> None:
    fake = harness.fake
    harness.comfy.hang = True
    await harness.start()
    inter = await fake.invoke_command(
        "story", {"era": "조선시대", "style": "pixel_art"}, user=fake.alice
    )
    builder = await harness.builder_message()
    await harness.said(inter, lambda c: str(builder.id) in c)
    for answer in ("궁궐", "호랑이, 토끼", "우정"):
        await fake.send_message(fake.channel_id, answer, reply_to=builder.id, user=fake.alice)
    await fake.wait_for(lambda: harness.field(builder, "주제") == ("✅", "우정"))
    await fake.click_button(builder.id, harness.button(builder, "시작하기")["custom_id"])
    book = await harness.book_message()
    run_id = harness.run_id_of(book)
    assert run_id is not None and harness.stored_request(run_id).style == "pixel_art"
    await fake.click_button(book.id, f"storybot:cancel:{run_id}", user=fake.alice)
    await fake.wait_for(lambda: "🛑" in book.text)


async def test_a_choice_the_bot_no_longer_has_is_refused_politely(
    harness: Harness, tmp_path: Path
) -> None:
    fake = harness.fake
    styles = tmp_path / "styles.json"
    styles.write_text(json.dumps({"sketch": SKETCH}, ensure_ascii=False))
    first = await harness.start(image_styles=styles)  # syncs a `sketch` choice
    stale = copy.deepcopy(fake.commands[None])
    await harness.stop(first)
    # The operator drops the file and restarts; a client that still shows the old choices
    # (Discord caches them for a while) can send `sketch` to the new bot.
    await harness.start()
    assert "sketch" not in [c["value"] for c in style_option(fake.commands[None])["choices"]]
    fake.commands[None] = stale
    inter = await fake.invoke_command("story", {**FULL, "style": "sketch"}, user=fake.bob)
    note = await harness.said(inter, lambda c: "no 'sketch' style" in c)
    assert note.flags & EPHEMERAL and "Pixel art" in note.content
    assert harness.channel_messages() == []
