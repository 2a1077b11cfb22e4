"""The prompt that asks the LLM for a five-page picture book as JSON.

It follows the request's age band (shorter sentences and simpler words for 3-5, a little more
for 7-10) and names the picture style. The writers pick the grammar by the system message:
its language (`language_of`) and the band it is written for (`band_of`).
"""

from __future__ import annotations

import re

from storybot.models import AGE_BANDS, DEFAULT_AGE, AgeBand, Language, StoryRequest
from storybot.story.grammar import BAND_BOUNDS, GrammarKey

Message = dict[str, str]

SHAPE = (
    '{"title": "...", "character_sheet": "...", "pages": ['
    '{"page": 0, "text": "...", "image_prompt": "..."}, '
    '{"page": 1, ...}, {"page": 2, ...}, {"page": 3, ...}, {"page": 4, ...}]}'
)

# The English rules for the image side are the same in both languages: the painter reads English.
IMAGE_RULES = """\
- character_sheet (English): one line for every character the request names, and for any other \
character who appears on more than one page: the character's kind or name as the request gives \
it, a colon, then its looks, clothes and colours, the same on every page. Lines are separated \
by semicolons.
- image_prompt (English, at most 300 characters): the characters as the character sheet \
describes them, the setting, the action and the mood of that page. Never use a name in an \
image prompt; describe the character instead. No text, letters or speech bubbles in the picture.
- The pictures will be painted in this style: {style}. Write image prompts that suit it."""

# Who the book is for: the first line of the system message says it, and `band_of` reads it.
AUDIENCE: dict[AgeBand, dict[Language, str]] = {
    "3-5": {"ko": "3~5세", "en": "aged 3 to 5"},
    "4-8": {"ko": "4~8세", "en": "aged 4 to 8"},
    "7-10": {"ko": "7~10세", "en": "aged 7 to 10"},
}

# Pages 1 to 4, per band: how long and how plain. `{limit}` is the grammar's page bound.
PAGE_RULE: dict[AgeBand, dict[Language, str]] = {
    "3-5": {
        "ko": "아주 짧고 쉬운 문장 두~세 개입니다({limit}자 이내). 한 문장은 여덟 낱말을 넘지 "
        "않고, 아이가 날마다 듣는 쉬운 낱말만 씁니다. 흉내 내는 말과 되풀이를 써도 좋습니다.",
        "en": "two or three very short sentences each (at most {limit} characters), eight "
        "words or fewer a sentence, only everyday words a three-year-old knows; repetition and "
        "sound words are welcome.",
    },
    "4-8": {
        "ko": "쉬운 한국어 문장 두~네 개입니다({limit}자 이내).",
        "en": "two to four short sentences each (at most {limit} characters).",
    },
    "7-10": {
        "ko": "한국어 문장 세~다섯 개입니다({limit}자 이내). 조금 더 풍부한 낱말, 짧은 대화, "
        "인물의 마음을 담아도 좋습니다.",
        "en": "three to five sentences each (at most {limit} characters); richer words, a "
        "little dialogue and what the characters feel are welcome.",
    },
}

SYSTEM_KO = """\
당신은 {audience} 어린이를 위한 그림책 작가입니다. 따뜻하고 다정한 이야기를 한국어로 씁니다.
무섭거나 폭력적인 장면, 위험한 행동, 어른을 위한 내용은 쓰지 않습니다.
답은 JSON 하나뿐입니다: {shape}
- 모두 다섯 쪽입니다. 0쪽은 표지: text는 제목과 어울리는 한 줄 소개입니다.
- 1~4쪽: text는 {page_rule}
- 이야기는 시작, 사건, 해결, 따뜻한 끝맺음으로 흐릅니다.
- title: 짧은 한국어 제목.
{image_rules}"""

SYSTEM_EN = """\
You write picture books for children {audience}: warm, kind stories in simple English.
Nothing scary or violent, no dangerous acts, nothing meant for adults.
Answer with one JSON object only: {shape}
- Exactly five pages. Page 0 is the cover: its text is one line that goes with the title.
- Pages 1 to 4: {page_rule} The story has a beginning, a problem, how it is solved, and a \
warm ending.
- title: a short English title.
{image_rules}"""


def style_words(style: str) -> str:
    """A style preset's name as words ("colored_pencil" → "colored pencil"), for a caller
    without the styles file's English label."""
    return re.sub(r"[_-]+", " ", style).strip()


def system_prompt(request: StoryRequest, style_label: str | None = None) -> str:
    """The system message for `request`'s language, age band and picture style
    (`style_label`: the style's English label; else its name in words)."""
    language, band = request.language, request.age
    limit = BAND_BOUNDS[(language, band)].text
    template = SYSTEM_EN if language == "en" else SYSTEM_KO
    style = style_label or style_words(request.style)
    return template.format(
        audience=AUDIENCE[band][language],
        shape=SHAPE,
        page_rule=PAGE_RULE[band][language].format(limit=limit),
        image_rules=IMAGE_RULES.format(style=style),
    )


def build_messages(
    request: StoryRequest, style_label: str | None = None, note: str = ""
) -> list[Message]:
    """The chat messages for `request`, in its language, for its age band and picture style;
    `note` says what the last attempt did wrong (`storybot.story.review.retry_note`)."""
    system = {"role": "system", "content": system_prompt(request, style_label)}
    if request.language == "en":
        user = (
            f"Write a picture book.\nEra: {request.era}\nPlace: {request.place}\n"
            f"Characters: {request.characters}\nTopic: {request.topic}"
        )
        user += _sequel_note(request)
        if note:
            user += f"\n\nThe last answer had these faults; do not repeat them:\n{note}"
        return [system, {"role": "user", "content": user}]
    user = (
        f"그림책을 써 주세요.\n시대: {request.era}\n장소: {request.place}\n"
        f"등장인물: {request.characters}\n주제: {request.topic}"
    )
    user += _sequel_note(request)
    if note:
        user += f"\n\n지난번 답에 이런 문제가 있었어요. 고쳐서 다시 써 주세요:\n{note}"
    return [system, {"role": "user", "content": user}]


def _sequel_note(request: StoryRequest) -> str:
    """For a sequel: what happened in the earlier book, and the friends it keeps."""
    sequel = request.sequel
    if sequel is None:
        return ""
    lines = "\n".join(f"- {line}" for line in sequel.summary)
    if request.language == "en":
        return (
            f'\n\nThis is the next adventure after the book "{sequel.title}". What happened '
            f"there:\n{lines}\nTell a new story with the same friends; do not retell that one. "
            f"character_sheet: exactly {sequel.character_sheet}"
        )
    return (
        f"\n\n이 이야기는 「{sequel.title}」의 다음 이야기예요. 지난 이야기:\n{lines}\n"
        f"같은 친구들의 새로운 모험을 쓰세요 (지난 이야기를 되풀이하지 마세요). "
        f"character_sheet는 그대로: {sequel.character_sheet}"
    )


def language_of(messages: list[Message]) -> Language:
    """The language `build_messages` wrote `messages` in (the writer picks its grammar by it)."""
    system = messages[0]["content"] if messages else ""
    return "ko" if re.search("[가-힣]", system) else "en"


def band_of(messages: list[Message]) -> AgeBand:
    """The age band `build_messages` wrote `messages` for: the one its system message's first
    line names; the default band for other messages."""
    first_line = (messages[0]["content"] if messages else "").split("\n", 1)[0]
    language = language_of(messages)
    for band in AGE_BANDS:
        if re.search(rf"(?<![0-9~]){re.escape(AUDIENCE[band][language])}\b", first_line):
            return band
    return DEFAULT_AGE


def grammar_key(messages: list[Message]) -> GrammarKey:
    """What the writers choose the story grammar by: the language and the age band."""
    return language_of(messages), band_of(messages)
