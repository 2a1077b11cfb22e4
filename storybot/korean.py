"""One Korean morphological analyzer (Kiwi) for the whole process.

Kiwi's model ships in the ``kiwipiepy-model`` package, so loading needs no network. Loading
takes about a second and ~200 MB, so every user of Korean morphology (the field parsers, the
safety screen) shares the one instance built here, with the children's-character dictionary
loaded as proper nouns so that names such as 뽀로로 or 콩순이 are never cut.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from kiwipiepy import Kiwi

log = logging.getLogger(__name__)

# Characters Korean children ask for, added to Kiwi as proper nouns (NNP).
CHILDREN_CHARACTERS: tuple[str, ...] = (
    "뽀로로",
    "크롱",
    "루피",
    "에디",
    "포비",
    "패티",
    "해리",
    "로디",
    "통통이",
    "타요",
    "로기",
    "라니",
    "가니",
    "콩순이",
    "핑크퐁",
    "아기상어",
    "상어가족",
    "티니핑",
    "하츄핑",
    "캐치티니핑",
    "짱구",
    "흰둥이",
    "철수",
    "맹구",
    "유리",
    "토토로",
    "마시마로",
    "뿡뿡이",
    "방귀대장",
    "브레드",
    "윌크",
    "초코",
    "코코몽",
    "라바",
    "폴리",
    "로보카폴리",
    "엠버",
    "헬리",
    "또봇",
    "띠띠뽀",
    "신비",
    "금비",
    "피카츄",
    "엘사",
    "안나",
    "올라프",
    "도라에몽",
    "호비",
    # Names of more than one word stay one item in a characters answer; Kiwi learns each word.
    "방귀대장 뿡뿡이",
    "캐치! 티니핑",
    "브레드이발소",
    "꼬마버스 타요",
    "아기공룡 둘리",
    "둘리",
    "또치",
    "도우너",
    "희동이",
    "뿌까",
    "베베핀",
    "슈퍼윙스",
    "헬로카봇",
    "미니특공대",
    "번개맨",
    "시크릿쥬쥬",
    "쥬쥬",
)

_lock = threading.Lock()
_kiwi: Kiwi | None = None
_extra_loaded: set[Path] = set()
_listed: set[str] = set()  # every word added to Kiwi's dictionary below


def listed(word: str) -> bool:
    """Whether `word` was added as a name (children's characters or an operator's file)."""
    return word in _listed


def read_words(path: Path) -> list[str]:
    """Words from an operator's dictionary file: one per line, ``#`` starts a comment."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words


def _add_words(kiwi: Kiwi, words: Iterable[str]) -> None:
    for word in words:
        for part in word.split():  # Kiwi words have no spaces: "방귀대장 뿡뿡이" → two nouns
            part = part.strip(".,!?~'\"")  # "캐치! 티니핑": the name's punctuation is no word
            if part:
                kiwi.add_user_word(part, "NNP", 0.0)
                _listed.add(part)


def kiwi(extra_words: Path | None = None) -> Kiwi:
    """The shared analyzer, built on first use; ``extra_words`` adds an operator's word file."""
    global _kiwi
    with _lock:
        if _kiwi is None:
            analyzer = Kiwi()
            _add_words(analyzer, CHILDREN_CHARACTERS)
            _kiwi = analyzer
            log.debug("Kiwi loaded with %d character names", len(CHILDREN_CHARACTERS))
        if extra_words is not None and extra_words not in _extra_loaded:
            _add_words(_kiwi, read_words(extra_words))
            _extra_loaded.add(extra_words)
        return _kiwi
