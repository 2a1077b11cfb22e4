"""Every user-facing text of the bot, in Korean and English, and the command translator."""

from __future__ import annotations

import discord
from discord import app_commands

Locale = str  # "ko" or "en"

TEXTS: dict[str, dict[str, str]] = {
    "ko": {
        "field.era": "시대",
        "field.place": "장소",
        "field.characters": "등장인물",
        "field.topic": "주제",
        "builder.title": "📖 새 그림책 만들기",
        "builder.hint": "이 메시지에 **답장**으로 글이나 **음성 메시지**를 보내면 **{field}**을(를) 채워요.",
        "builder.done_hint": "모두 채웠어요! **시작하기**를 눌러 주세요.",
        "builder.heard": "🎤 들었어요: '{text}' ({confidence:.0%})",
        "builder.typed": "✏️ 받았어요: '{text}'",
        "button.type": "✏️ 입력하기",
        "button.start": "시작하기",
        "button.cancel": "취소",
        "button.retry": "🔁 다시 만들기",
        "button.dm": "📬 DM으로 받기",
        "modal.title": "그림책 정보",
        "book.queued": "⏳ 차례를 기다리고 있어요: {position}번째",
        "book.stage.LLM": "✍️ 이야기를 쓰고 있어요",
        "book.stage.COVER": "🎨 표지를 그리고 있어요",
        "book.stage.PANEL": "🎨 {page}쪽 그림을 그리고 있어요",
        "book.stage.TTS": "🔊 목소리를 녹음하고 있어요",
        "book.sending": "✅ 완성! DM으로 책을 보내고 있어요…",
        "book.done": "✅ 완성! DM으로 책을 보냈어요.",
        "book.done_no_dm": "✅ 완성! DM을 보낼 수 없어서 아래 버튼으로 받을 수 있어요.",
        "book.failed": "😢 {reason}. 아래 🔁 버튼으로 다시 만들어 볼 수 있어요.",
        "failed.LLM": "이야기를 쓰지 못했어요",
        "failed.IMAGE": "그림을 그리지 못했어요",
        "failed.TTS": "목소리를 녹음하지 못했어요",
        "failed.other": "책을 완성하지 못했어요",
        "book.cancelled": "🛑 취소했어요. 만든 쪽은 남겨 두었어요.",
        "book.interrupted": "⚠️ 봇이 다시 시작되어 책 만들기가 멈췄어요. 다시 만들 수 있어요.",
        "book.elapsed": "⏱️ {elapsed} 지남",
        "book.eta": "약 {eta} 남음",
        "book.warning": "⚠️ {count}쪽은 그림이나 목소리 없이 완성했어요.",
        "book.audio_in_dm": "🔊 목소리 파일은 DM으로 보낼게요 (메시지에 담기에 너무 커요).",
        "book.page": "{page}쪽",
        "book.cover": "표지",
        "dm.page": "**{label}** — {text}",
        "dm.video": "🎬 「{title}」 함께 읽기 영상",
        "dm.closed": "📪 DM을 보낼 수 없어요. 서버 설정에서 DM을 허용하거나 책 메시지의 📬 버튼을 눌러 주세요.",
        "dm.sent": "📬 DM으로 보냈어요!",
        "dm.sent_requester": "📬 책을 만든 분의 DM으로 보냈어요.",
        "dm.closed_requester": "📪 책을 만든 분의 DM이 닫혀 있어서 보내지 못했어요.",
        "dm.failed": "😢 지금은 DM으로 보내지 못했어요. 잠시 뒤에 📬 버튼을 다시 눌러 주세요.",
        "book.done_dm_failed": "✅ 완성! 그런데 DM으로 보내는 중에 문제가 생겼어요. 아래 📬 버튼으로 다시 받을 수 있어요.",
        "book.painter_down": "🖌️ 그림을 그리는 서버(ComfyUI)에 연결할 수 없어요. 다시 연결되면 책 만들기가 저절로 시작돼요. (그만두려면 취소를 눌러 주세요)",
        "failed.painter_down": "그림을 그리는 서버(ComfyUI)에 연결할 수 없어요",
        "failed.no_pictures": "그림을 한 장도 그리지 못했어요 (그림 서버에 문제가 있어요)",
        "failed.unsafe_story": "어린이에게 알맞은 이야기를 쓰지 못했어요 (다른 주제로 해 보세요)",
        "failed.unsafe_request": "이 이야기는 어린이 그림책으로 만들 수 없어요 (다른 주제로 해 보세요)",
        "cancel.already": "🛑 이미 멈추고 있어요. 잠시만 기다려 주세요.",
        "redraw.placeholder": "🎨 다시 그릴 쪽을 골라 주세요",
        "book.redrawn": "✅ 완성! 새로 그린 쪽이 있어요. 📬 버튼으로 새 책을 DM으로 받을 수 있어요.",
        "redraw.started": "🎨 {page} 그림을 새로 그리고 있어요…",
        "redraw.done": "🎨 {page} 그림을 새로 그렸어요. 📬 버튼으로 새 책을 DM으로 받을 수 있어요.",
        "redraw.failed": "😢 {page} 그림을 다시 그리지 못했어요. 원래 그림은 그대로 있어요.",
        "post_failed": "😢 이 채널에 책 메시지를 올리지 못해서 책 만들기를 멈췄어요. 잠시 뒤에 다시 해 주세요.",
        "builder.expired": "⌛ 30분 동안 아무 답이 없어서 이 이야기 만들기는 닫았어요. `/동화`로 다시 시작할 수 있어요.",
        "only_owner": "🙅 이 버튼은 책을 신청한 사람이나 서버 관리자만 누를 수 있어요.",
        "busy": "⏳ 이미 만들고 있는 책이 있어요. 그 책이 끝나면 다시 신청해 주세요.",
        "no_permission": "🔒 이 채널에서 메시지·파일·임베드를 보낼 권한이 없어요: {missing}. 관리자에게 권한을 부탁해 주세요.",
        "voice.not_audio": "🎧 음성 메시지나 글로 답해 주세요.",
        "voice.failed": "❌ 알아듣지 못했어요: {reason}",
        "voice.problem.too_big": "파일이 너무 커요.",
        "voice.problem.too_long": "음성이 너무 길어요. {seconds:g}초 안으로 말해 주세요.",
        "voice.problem.not_audio": "소리 파일이 아니에요.",
        "voice.problem.corrupt": "파일을 읽을 수 없어요.",
        "voice.problem.silent": "아무 소리도 들리지 않았어요.",
        "voice.problem.other": "지금은 음성을 들을 수 없어요. 글로 답해 주세요.",
        "books.none": "아직 만든 책이 없어요. `/story`로 시작해 보세요!",
        "books.title": "📚 내 그림책",
        "books.pick": "DM으로 다시 받을 책을 고르세요",
        "unknown_run": "그 책을 찾을 수 없어요.",
        "style.unknown": "'{style}' 그림체는 없어요. 고를 수 있는 그림체: {choices}",
        "cancelled_builder": "취소했어요.",
        "not_running": "이 책은 지금 만들고 있지 않아요.",
        "still_running": "이 책은 아직 만들고 있어요.",
        "unexpected_error": "😢 뭔가 잘못됐어요. 잠시 뒤에 다시 해 주세요.",
    },
    "en": {
        "field.era": "era",
        "field.place": "place",
        "field.characters": "characters",
        "field.topic": "topic",
        "builder.title": "📖 A new picture book",
        "builder.hint": "**Reply** to this message with text or a **voice message** to fill **{field}**.",
        "builder.done_hint": "All filled in! Press **Start**.",
        "builder.heard": "🎤 I heard: '{text}' ({confidence:.0%})",
        "builder.typed": "✏️ Got it: '{text}'",
        "button.type": "✏️ Type it",
        "button.start": "Start",
        "button.cancel": "Cancel",
        "button.retry": "🔁 Retry",
        "button.dm": "📬 Send to my DMs",
        "modal.title": "Your picture book",
        "book.queued": "⏳ Waiting in line: number {position}",
        "book.stage.LLM": "✍️ Writing the story",
        "book.stage.COVER": "🎨 Painting the cover",
        "book.stage.PANEL": "🎨 Painting page {page}",
        "book.stage.TTS": "🔊 Recording the narration",
        "book.sending": "✅ Done! Sending the book to your DMs…",
        "book.done": "✅ Done! The book is in your DMs.",
        "book.done_no_dm": "✅ Done! I couldn't DM you: use the button below to get it.",
        "book.failed": "😢 Sorry, {reason}. Press 🔁 below to try again.",
        "failed.LLM": "the story could not be written",
        "failed.IMAGE": "the pictures could not be painted",
        "failed.TTS": "the narration could not be recorded",
        "failed.other": "the book could not be finished",
        "book.cancelled": "🛑 Cancelled. The pages made so far are kept.",
        "book.interrupted": "⚠️ The bot restarted while making this book. You can retry it.",
        "book.elapsed": "⏱️ {elapsed} elapsed",
        "book.eta": "about {eta} left",
        "book.warning": "⚠️ {count} page(s) finished without a picture or a voice.",
        "book.audio_in_dm": "🔊 The narration comes in your DMs (too big for this message).",
        "book.page": "Page {page}",
        "book.cover": "Cover",
        "dm.page": "**{label}** — {text}",
        "dm.video": "🎬 “{title}” read-along video",
        "dm.closed": "📪 I can't DM you. Allow DMs from this server, or press 📬 on the book message.",
        "dm.sent": "📬 Sent to your DMs!",
        "dm.sent_requester": "📬 Sent to the DMs of the person who asked for this book.",
        "dm.closed_requester": "📪 The DMs of the person who asked for this book are closed.",
        "dm.failed": "😢 I couldn't send it to DMs right now. Please press 📬 again in a moment.",
        "book.done_dm_failed": "✅ Done! Something went wrong while sending it to your DMs: press 📬 below to get it.",
        "book.painter_down": "🖌️ I can't reach the picture server (ComfyUI). Your book starts by itself when it is back (press Cancel to stop).",
        "failed.painter_down": "the picture server (ComfyUI) could not be reached",
        "failed.no_pictures": "not a single picture could be painted (the picture server has a problem)",
        "failed.unsafe_story": "I couldn't write a story that is right for children (try another topic)",
        "failed.unsafe_request": "that one can't become a children's picture book (try another topic)",
        "cancel.already": "🛑 It is already stopping. One moment, please.",
        "redraw.placeholder": "🎨 Choose a page to draw again",
        "book.redrawn": "✅ Done! A page was drawn again: press 📬 to get the updated book in your DMs.",
        "redraw.started": "🎨 Drawing {page} again…",
        "redraw.done": "🎨 {page} has a new picture. Press 📬 to get the updated book in your DMs.",
        "redraw.failed": "😢 {page} could not be drawn again; the old picture is kept.",
        "post_failed": "😢 I couldn't post the book message in this channel, so I stopped the book. Please try again in a moment.",
        "builder.expired": "⌛ Nobody answered for 30 minutes, so this story builder is closed. Start again with `/story`.",
        "only_owner": "🙅 Only the person who asked for this book, or a server manager, can use this.",
        "busy": "⏳ You already have a book being made. Ask again when it is finished.",
        "no_permission": "🔒 I can't post here: missing {missing}. Ask a server admin for these permissions.",
        "voice.not_audio": "🎧 Please answer with a voice message or text.",
        "voice.failed": "❌ I couldn't understand that: {reason}",
        "voice.problem.too_big": "the file is too big.",
        "voice.problem.too_long": "it is too long. Please keep it under {seconds:g} seconds.",
        "voice.problem.not_audio": "that is not a sound file.",
        "voice.problem.corrupt": "the file could not be read.",
        "voice.problem.silent": "there is no sound in it.",
        "voice.problem.other": "I can't listen right now. Please answer with text.",
        "books.none": "You have no books yet. Start one with `/story`!",
        "books.title": "📚 My picture books",
        "books.pick": "Pick a book to get in your DMs again",
        "unknown_run": "I can't find that book.",
        "style.unknown": "There is no '{style}' style. Styles you can pick: {choices}",
        "cancelled_builder": "Cancelled.",
        "not_running": "This book is not being made right now.",
        "still_running": "This book is still being made.",
        "unexpected_error": "😢 Something went wrong. Please try again in a moment.",
    },
}

# The slash commands' names, descriptions and option descriptions, by key: one definition of
# each. A name's default is its English form (what the code calls it; Korean clients get the
# Korean one); a description's default is Korean (English clients get the English one).
COMMAND_TEXTS: dict[str, dict[Locale, str]] = {
    "story.name": {"en": "story", "ko": "동화"},
    "story.description": {
        "ko": "그림책을 만들어요: 시대, 장소, 등장인물, 주제를 알려 주세요",
        "en": "Make a picture book: tell me the era, place, characters and topic",
    },
    "story.era.name": {"en": "era", "ko": "시대"},
    "story.era.description": {
        "ko": "이야기의 시대 (예: 조선시대)",
        "en": "When the story happens (e.g. long ago)",
    },
    "story.place.name": {"en": "place", "ko": "장소"},
    "story.place.description": {
        "ko": "이야기의 장소 (예: 궁궐)",
        "en": "Where it happens (e.g. a palace)",
    },
    "story.characters.name": {"en": "characters", "ko": "등장인물"},
    "story.characters.description": {
        "ko": "등장인물 (예: 호랑이, 토끼)",
        "en": "Who is in it (e.g. a tiger and a rabbit)",
    },
    "story.topic.name": {"en": "topic", "ko": "주제"},
    "story.topic.description": {
        "ko": "주제 (예: 우정)",
        "en": "What it is about (e.g. friendship)",
    },
    "story.voice.name": {"en": "voice", "ko": "목소리"},
    "story.voice.description": {
        "ko": "낭독 목소리 (M1–M5, F1–F5)",
        "en": "Narrator voice (M1–M5, F1–F5)",
    },
    "story.narration.name": {"en": "narration", "ko": "낭독"},
    "story.narration.description": {"ko": "목소리로 읽어 줄까요?", "en": "Read it aloud?"},
    "story.style.name": {"en": "style", "ko": "그림체"},
    "story.style.description": {
        "ko": "그림체 (기본: 수채화)",
        "en": "Picture style (default: watercolor)",
    },
    "story.age.name": {"en": "age", "ko": "나이"},
    "story.age.description": {
        "ko": "읽을 아이의 나이 (기본: 4~8세)",
        "en": "Age of the young reader (default: 4–8)",
    },
    "books.name": {"en": "books", "ko": "내책"},
    "books.description": {
        "ko": "내가 만든 그림책을 보고 DM으로 다시 받아요",
        "en": "See my picture books and get one in DMs again",
    },
}


def command_name(key: str) -> app_commands.locale_str:
    """A command or option name by key: English by default, Korean for Korean clients."""
    return app_commands.locale_str(COMMAND_TEXTS[key]["en"], key=key)


def command_description(key: str) -> app_commands.locale_str:
    """A command or option description by key: Korean by default, English for English ones."""
    return app_commands.locale_str(COMMAND_TEXTS[key]["ko"], key=key)


def locale_of(value: discord.Locale | str | None) -> Locale:
    """ "en" for English-speaking Discord clients, Korean for everyone else."""
    return "en" if str(value or "").startswith("en") else "ko"


def text(locale: Locale, key: str, **values: object) -> str:
    """The text `key` in `locale`, filled in."""
    table = TEXTS.get(locale, TEXTS["ko"])
    return table.get(key, TEXTS["ko"][key]).format(**values)


class StoryTranslator(app_commands.Translator):
    """The command texts of COMMAND_TEXTS by key; choices carry their English label along."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale in (discord.Locale.american_english, discord.Locale.british_english):
            language: Locale = "en"
        elif locale is discord.Locale.korean:
            language = "ko"
        else:
            return None  # Discord shows the default
        key = string.extras.get("key")
        if key is not None:
            translated = COMMAND_TEXTS[key].get(language)
        else:  # a style or age choice: Korean by default, its English label with it
            translated = string.extras.get(language)
        return None if translated == string.message else translated
