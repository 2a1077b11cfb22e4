"""How the book message looks: a header embed, one embed per page with its picture through
`attachment://`, and Discord's limits (10 embeds, 6,000 characters, field and title sizes).
Every rendering is also checked by the fake Discord's own validator, as Discord would."""

from __future__ import annotations

from typing import Any

import discord

from storybot.bot.book_render import (
    EMBED_TOTAL,
    MessageState,
    book_embeds,
    embed_size,
    fit_texts,
    shorten,
    size,
)
from tests.support.fake_discord._limits import FormErrors, check_embeds
from tests.support.stories import story

PICTURES = {0: "cover.png", **{i: f"panel_{i}.png" for i in range(1, 5)}}
SENTENCE = "호랑이와 토끼는 궁궐 연못가에서 함께 노래를 불렀어요. "


def sent(embeds: list[discord.Embed]) -> list[dict[str, Any]]:
    """The embeds as discord.py sends them, checked by the fake's validator."""
    payload = [e.to_dict() for e in embeds]
    errors = FormErrors()
    check_embeds(payload, errors)
    assert not errors.errors, errors.errors
    return payload


def finished_state(texts: dict[int, str], locale: str = "ko") -> MessageState:
    state = MessageState(locale, title="호랑이와 토끼의 우정", texts=texts, images_done=5)
    state.finished, state.status_line = True, "✅ 완성! DM으로 책을 보냈어요."
    return state


def test_a_finished_book_is_a_header_and_one_embed_per_page() -> None:
    pages = story()["pages"]
    state = finished_state({p["page"]: p["text"] for p in pages})
    header, *embeds = sent(book_embeds(state, PICTURES))
    assert header["title"] == "호랑이와 토끼의 우정"
    assert header["fields"][0]["value"].splitlines() == ["■■■■■ 5/5", state.status_line]
    assert "image" not in header
    assert [e["title"] for e in embeds] == ["표지", "1쪽", "2쪽", "3쪽", "4쪽"]
    assert [e["description"] for e in embeds] == [p["text"] for p in pages]  # whole, in order
    assert [e["image"]["url"] for e in embeds] == [
        "attachment://cover.png",
        *(f"attachment://panel_{i}.png" for i in range(1, 5)),
    ]
    # Embeds sharing a `url` are shown by Discord as one gallery: pages must not have one.
    assert all("url" not in e for e in embeds)
    english = sent(book_embeds(finished_state({0: "Once", 1: "upon"}, "en"), {}))
    assert [e["title"] for e in english[1:]] == ["Cover", "Page 1"]


def test_pages_appear_as_they_come_and_their_pictures_when_painted() -> None:
    state = MessageState("ko", texts={0: "표지 글", 1: "첫 쪽 글"}, status_line="🎨 1쪽 그림")
    header, cover, first = sent(book_embeds(state, {0: "cover.png"}))
    assert header["title"] == "📖 새 그림책 만들기"  # no title yet
    assert "⏱️" in header["fields"][0]["value"]  # elapsed time while it is made
    assert cover["image"]["url"] == "attachment://cover.png"
    assert first["description"] == "첫 쪽 글" and "image" not in first
    # A picture shrunk to fit is shown under its own name.
    (_, cover) = sent(book_embeds(MessageState("ko", texts={0: "표지"}), {0: "cover.q3.jpg"}))
    assert cover["image"]["url"] == "attachment://cover.q3.jpg"
    assert len(sent(book_embeds(MessageState("ko"), {}))) == 1  # only the header


def test_long_pages_share_the_6000_characters_and_are_cut_gracefully() -> None:
    short = "짧은 표지 글이에요."
    long = SENTENCE * 120  # about 3,700 characters a page
    texts = {0: short, **{i: long for i in range(1, 5)}}
    state = finished_state(texts)
    state.notices = ["⚠️ 알림 " * 200]  # a header field at its limit too
    payload = sent(book_embeds(state, PICTURES))
    total = sum(embed_size(e) for e in payload)
    # Never more; less by at most the sentence each cut page ends before.
    assert EMBED_TOTAL - 4 * len(SENTENCE) <= total <= EMBED_TOTAL
    assert len(payload[0]["fields"][0]["value"]) <= 1024
    cover, *rest = payload[1:]
    assert cover["description"] == short  # short pages stay whole
    assert len({e["description"] for e in rest}) == 1  # the long ones get equal shares
    cut = rest[0]["description"]
    assert cut.endswith("요. …") and long.startswith(cut.removesuffix(" …"))
    assert all(e["image"]["url"].startswith("attachment://") for e in payload[1:])


def test_characters_outside_the_bmp_count_twice() -> None:
    emoji = "🐯🐰" * 2000  # 4,000 code points, 8,000 UTF-16 units
    payload = sent(book_embeds(finished_state({1: emoji}), {}))
    assert sum(embed_size(e) for e in payload) <= EMBED_TOTAL
    assert size(payload[1]["description"]) <= 4096


def test_never_more_than_ten_embeds() -> None:
    texts = {i: f"{i}쪽 글" for i in range(15)}  # more pages than a message can hold
    payload = sent(book_embeds(finished_state(texts), {}))
    assert len(payload) == 10 and payload[-1]["description"] == "8쪽 글"


def test_shorten_prefers_a_sentence_then_a_word() -> None:
    assert shorten("짧아요.", 10) == "짧아요."
    text = "첫 문장이에요. 두 번째 문장은 아주 길어서 잘려야 해요"
    assert shorten(text, 20) == "첫 문장이에요. 두 번째 문장은 …"  # a sentence keeps under half
    assert shorten(text, 12) == "첫 문장이에요. …"
    assert shorten("가" * 30, 10) == "가" * 8 + "…"  # no space: a hard cut
    assert size(shorten("🐯" * 30, 9)) <= 9
    assert fit_texts(["a" * 10, "b" * 100, "c" * 100], 110) == [
        "a" * 10,
        shorten("b" * 100, 50),
        shorten("c" * 100, 50),
    ]
    assert fit_texts(["whole", "texts"], 6000) == ["whole", "texts"]
