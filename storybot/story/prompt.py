"""The prompt that asks the LLM for a five-page picture book as JSON."""

from __future__ import annotations

import re

from storybot.config import Language
from storybot.models import StoryRequest

Message = dict[str, str]

SHAPE = (
    '{"title": "...", "character_sheet": "...", "pages": ['
    '{"page": 0, "text": "...", "image_prompt": "..."}, '
    '{"page": 1, ...}, {"page": 2, ...}, {"page": 3, ...}, {"page": 4, ...}]}'
)

# The English rules for the image side are the same in both languages: the painter reads English.
IMAGE_RULES = """\
- character_sheet (English): for every character who appears on more than one page, one line \
with looks, clothes and colours, e.g. "a small white rabbit with long ears, wearing a red scarf; \
an old striped tiger in a blue vest".
- image_prompt (English, at most 300 characters): the characters as the character sheet \
describes them, the setting, the action and the mood of that page. Never use a name in an \
image prompt; describe the character instead. No text, letters or speech bubbles in the picture."""

SYSTEM_KO = f"""\
당신은 4~8세 어린이를 위한 그림책 작가입니다. 따뜻하고 다정한 이야기를 한국어로 씁니다.
무섭거나 폭력적인 장면, 위험한 행동, 어른을 위한 내용은 쓰지 않습니다.
답은 JSON 하나뿐입니다: {SHAPE}
- 모두 다섯 쪽입니다. 0쪽은 표지: text는 제목과 어울리는 한 줄 소개입니다.
- 1~4쪽: text는 쉬운 한국어 문장 두~네 개입니다.
- 이야기는 시작, 사건, 해결, 따뜻한 끝맺음으로 흐릅니다.
- title: 짧은 한국어 제목.
{IMAGE_RULES}"""

SYSTEM_EN = f"""\
You write picture books for children aged 4 to 8: warm, kind stories in simple English.
Nothing scary or violent, no dangerous acts, nothing meant for adults.
Answer with one JSON object only: {SHAPE}
- Exactly five pages. Page 0 is the cover: its text is one line that goes with the title.
- Pages 1 to 4: two to four short sentences each. The story has a beginning, a problem, how \
it is solved, and a warm ending.
- title: a short English title.
{IMAGE_RULES}"""


def build_messages(request: StoryRequest) -> list[Message]:
    """The chat messages for `request`, in its language."""
    if request.language == "en":
        user = (
            f"Write a picture book.\nEra: {request.era}\nPlace: {request.place}\n"
            f"Characters: {request.characters}\nTopic: {request.topic}"
        )
        return [{"role": "system", "content": SYSTEM_EN}, {"role": "user", "content": user}]
    user = (
        f"그림책을 써 주세요.\n시대: {request.era}\n장소: {request.place}\n"
        f"등장인물: {request.characters}\n주제: {request.topic}"
    )
    return [{"role": "system", "content": SYSTEM_KO}, {"role": "user", "content": user}]


def language_of(messages: list[Message]) -> Language:
    """The language `build_messages` wrote `messages` in (the writer picks its grammar by it)."""
    system = messages[0]["content"] if messages else ""
    return "ko" if re.search("[가-힣]", system) else "en"
