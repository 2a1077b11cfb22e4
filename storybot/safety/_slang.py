"""Korean profanity typed with initials for some of its syllables: `ㅆ발`, `시ㅂ`, `ㅈ나`, `병ㅅ`,
`개ㅅㄲ`, `ㅈ같은`, and with 8 for 팔 (`씨8`, `18놈`).

Every syllable of a known word may be typed whole or as its initial consonant; a match needs
at least one syllable of each kind, since initials alone are common innocent shorthand (ㄱㅅ is
감사, thanks) and the words refused as initials alone are listed in `_korean_words.JAMO`.
"""

from __future__ import annotations

import re

from storybot.safety._categories import PROFANITY, Hit

CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
WORDS = (
    "씨발 시발 씨바 시바 씨팔 시팔 씨벌 쓰발 씨빨 시벌 쉬발 병신 븅신 빙신 개새끼 개새기 개색기"
    " 개색끼 개세끼 개시키 개자식 씹새끼 존나 졸라 존내 조낸 지랄 좆같 썅년 썅놈 미친놈 미친년"
)


def _initial(syllable: str) -> str:
    return CHOSEONG[(ord(syllable) - 0xAC00) // 588]


def _alternatives() -> list[str]:
    """Each word with every mix of whole syllables and initials, but not all of one kind."""
    found: set[str] = set()
    for word in WORDS.split():
        for mask in range(1, 2 ** len(word) - 1):
            found.add("".join(_initial(s) if mask >> k & 1 else s for k, s in enumerate(word)))
    return sorted(found, key=len, reverse=True)


MIXED = re.compile("|".join(map(re.escape, _alternatives())))
# 8 read as 팔 after 씨 or 시, and 18 (십팔) before an insult; not 18년 (a year).
EIGHT = re.compile(r"(?:[씨시ㅆㅅ]8|(?<![0-9])18(?:놈|새끼|새기|색기|럼))(?![0-9])")


def find_initials(text: str) -> Hit | None:
    """Profanity typed partly with initials or digits in the base view of `text`."""
    match = MIXED.search(text) or EIGHT.search(text)
    return Hit(PROFANITY, match.group()) if match else None
