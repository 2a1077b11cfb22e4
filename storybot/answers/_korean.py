"""The Korean path of the field parsers, on Kiwi (storybot.korean's shared analyzer).

Kiwi reads the whole answer once, in context (곰이 in "곰이 나왔으면" is 곰 + 이); the parser then
cuts particles, the copula, endings and polite 요 off the last content word, splits names at 랑,
와, 하고, and turns a topic that ends in a verb into a -기 phrase. Where Kiwi only guessed (an
unknown morpheme, a name cut into one-syllable nouns such as 콩/순), an ending of 이 or 로 stays
on the word: an unknown name is kept whole rather than cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kiwipiepy import Kiwi, Token

from storybot.answers._words import (
    _EVALUATIVES,
    _KO_AND,
    _KO_FILLER,
    _KO_LEAD,
    _KO_LEAD_FILLER,
    _PARTICLE_END,
    _PHRASES,
    _REQUESTS,
    _TOPIC_REQUESTS,
    COMITATIVE,
    NOMINAL,
    PREDICATE,
    _Ending,
    drop_tokens,
    is_function,
    tidy,
)
from storybot.korean import listed
from storybot.models import FieldType


def _strip_once(text: str, endings: Iterable[_Ending]) -> str:
    """Remove the first phrase that fits at the end; text unchanged if none does."""
    for ending in endings:
        match = ending.pattern.search(text)
        if match is None:
            continue
        cut = match.start()
        rest = text[:cut].rstrip()
        if not rest:
            if ending.word:
                return ""  # the whole answer was "해 주세요": nothing asked for
            continue
        if ending.word and not _PARTICLE_END.search(text[:cut]):
            continue
        return rest
    return text


def _strip_phrases(text: str, groups: list[list[_Ending]]) -> str:
    """Strip phrases from the right until none fits; the groups are tried in order."""
    for _ in range(16):
        for group in groups:
            stripped = tidy(_strip_once(text, group))
            if stripped != text:
                text = stripped
                break
        else:
            return text
    return text


class _Answer:
    """A Korean answer and Kiwi's analysis of it, kept in step as its end is cut off.

    The analysis is made once on the whole answer, so each word is read in context (곰이 in
    "곰이 나왔으면" is 곰 + 이); cutting the text keeps the tokens that still fit.
    """

    def __init__(self, analyzer: Kiwi, text: str) -> None:
        self.kiwi, self.text = analyzer, text
        self.tokens: list[Token] = analyzer.tokenize(text) if text else []
        self.said_more = False  # a request or phrase followed the answer ("…로 해 주세요")

    def cut(self, text: str, *, reread: bool = True) -> None:
        """Keep only `text`, a prefix of the answer; `reread` a word cut in the middle."""
        end = len(text)
        if reread and any(t.start < end < t.end for t in self.tokens):
            self.tokens = self.kiwi.tokenize(text)  # a phrase table cut inside a word
        else:
            self.tokens = [t for t in self.tokens if t.end <= end]
        self.text = text

    def span(self, start: int, end: int) -> list[Token]:
        return [t for t in self.tokens if start <= t.start and t.end <= end]


def _tag(token: Token) -> str:
    """The part of speech without Kiwi's regular/irregular mark (VV-R → VV)."""
    return token.tag.partition("-")[0]


def _content(tokens: Sequence[Token]) -> list[int]:
    """Indices of the tokens that are not particles, endings, the copula or punctuation."""
    return [i for i, t in enumerate(tokens) if not is_function(_tag(t), t.form)]


def _unsure(stem: Sequence[Token]) -> bool:
    """Kiwi guessed: an unknown morpheme, or a word cut into one-syllable nouns (콩/순)."""
    pieces = sum(1 for t in stem if t.len == 1 and _tag(t) in NOMINAL and _tag(t) != "NNB")
    return any(t.oov for t in stem) or pieces >= 2


def _noun_end(answer: _Answer, start: int, end: int, field: FieldType, last: bool) -> int:
    """Where the content of answer.text[start:end] ends, particles and endings cut off."""
    tokens = answer.span(start, end)
    content = _content(tokens)
    if not content:
        return start
    head, tail = tokens[content[-1]], tokens[content[-1] + 1 :]
    if not tail:
        return end
    word = answer.text.rfind(" ", start, head.start) + 1
    stem = [t for t in tokens[: content[-1] + 1] if t.start >= word]
    if _tag(head) in PREDICATE:
        # A noun field ending in a verb: Kiwi may have read a name as one (타요 → 타 + 어요).
        return end if field is FieldType.TOPIC else _reread(answer, word, end)
    cut = tail[0].start
    if head.form == "이" and _tag(head) == "XSN" and _common_noun(answer, stem[:-1]):
        cut = head.start  # 용이랑: Kiwi took 용 for a name (민준이); a common noun takes 이랑
    elif answer.text[cut : cut + 1] == "이" and (
        _unsure(stem) or (field is FieldType.CHARACTERS and _given_name(stem))
    ):
        cut += 1  # an unknown name (콩순이요) or a child's (민준이요) keeps its 이
    elif _name_ro(answer, field, last, tail) and (_tag(head) == "NNP" or _unsure(stem)):
        cut = tail[0].end  # a name ending in 로 (토토로, 토토로요) is not "to 토토"
    return max(cut, start)


def _given_name(stem: Sequence[Token]) -> bool:
    """A two-syllable Korean given name ending in a consonant (민준, 서연): said with 이."""
    if len(stem) != 1 or _tag(stem[0]) != "NNP" or listed(stem[0].form):
        return False
    form = stem[0].form
    return len(form) == 2 and _final_consonant(form[-1])


def _final_consonant(syllable: str) -> bool:
    """Whether a Hangul syllable ends in a consonant (받침): 준 yes, 우 no."""
    return "가" <= syllable <= "힣" and (ord(syllable) - 0xAC00) % 28 > 0


def _name_ro(answer: _Answer, field: FieldType, last: bool, tail: Sequence[Token]) -> bool:
    """Whether a 로 after a guessed name is the name's own: 로로 (two particles cannot be),
    or a character answer's last word with nothing but 요 after it and nothing said after."""
    if field is not FieldType.CHARACTERS or tail[0].form != "로":
        return False
    if len(tail) > 1 and tail[1].form == "로":
        return True
    alone = last and not answer.said_more
    return alone and all(t.form == "요" for t in tail[1:])


def _common_noun(answer: _Answer, stem: Sequence[Token]) -> bool:
    """Whether the stem, read on its own, is one known common noun (용, 공룡; not 민준)."""
    if not stem:
        return False
    alone = answer.kiwi.tokenize(answer.text[stem[0].start : stem[-1].end])
    return len(alone) == 1 and _tag(alone[0]) == "NNG" and not alone[0].oov


def _reread(answer: _Answer, word: int, end: int) -> int:
    """The end of a word read as a noun plus endings, if Kiwi's next-best reading says so."""
    for tokens, _score in answer.kiwi.analyze(answer.text[word:end], top_n=3):
        content = _content(tokens)
        if content and all(_tag(tokens[i]) in NOMINAL for i in content):
            stem = tokens[: content[-1] + 1]
            if _unsure(stem):
                break
            return word + stem[-1].end  # 동해요 → 동해/NNP + 요/JX
    return end


def _nominalise(answer: _Answer) -> str:
    """A topic ending in a verb as a -기 phrase: 지내요 → 지내기, 용감해지는 거 → 용감해지기."""
    text, tokens = answer.text, answer.tokens
    word = text.rfind(" ") + 1
    last = [t for t in tokens if t.start >= word]
    content = _content(last)
    if not content:
        return text
    head = last[content[-1]]
    if _tag(head) == "NNB" and head.form in ("거", "것") and word > 0:
        # "…하는 거": the verb phrase before it, with -기 in place of the modifier ending.
        before = text.rfind(" ", 0, word - 1) + 1
        verb = [t for t in tokens if before <= t.start < word]
        if len(verb) >= 2 and _tag(verb[-1]) == "ETM" and _tag(verb[-2]) in PREDICATE:
            morphs = [(t.form, t.tag, False) for t in verb[:-1]]
            return text[:before] + answer.kiwi.join([*morphs, ("기", "ETN", False)])
        return text
    if _tag(head) not in PREDICATE:
        return text
    rest = last[content[-1] + 1 :]
    if rest and _tag(rest[0]) == "ETN":
        return text[: rest[0].end]  # already a -기 phrase (편식하지 않기요)
    morphs = [(t.form, t.tag, False) for t in last[: content[-1] + 1]]
    return text[:word] + answer.kiwi.join([*morphs, ("기", "ETN", False)])


def _without_fillers(text: str, analyzer: Kiwi) -> str:
    """Drop fillers: listed words anywhere; 그냥 and interjections (Kiwi's IC) at the start."""
    words = drop_tokens(text, _KO_FILLER).split()
    while len(words) > 1:
        first = words[0].strip(".,!?")
        tokens = analyzer.tokenize(first)
        # 우와, 어머: an interjection alone; 아이 is far more often "child" in an answer.
        if first in _KO_LEAD_FILLER or (
            first != "아이" and len(tokens) == 1 and _tag(tokens[0]) == "IC"
        ):
            words = words[1:]
        else:
            break
    return " ".join(words)


def _korean(text: str, field: FieldType, analyzer: Kiwi) -> _Answer:
    """Fillers, leads, request phrases and the last word's endings off a Korean answer."""
    text = _without_fillers(text, analyzer)
    while (lead := _KO_LEAD.sub("", text, count=1)) != text:
        text = lead
    answer = _Answer(analyzer, tidy(text))
    requests = _TOPIC_REQUESTS if field is FieldType.TOPIC else _REQUESTS
    groups = [requests + _PHRASES[field], _EVALUATIVES]
    trimmed = False
    for _ in range(16):
        # Phrases, then the last word's endings; again only if that bared another phrase
        # (토끼가 주인공이에요 → 토끼가 주인공 → 토끼가 → 토끼), so a kept 이 or 로 stays kept.
        text = _strip_phrases(answer.text, groups)
        if trimmed and text == answer.text:
            break
        answer.said_more |= text != answer.text
        answer.cut(text)
        end = _noun_end(answer, 0, len(text), field, last=True)
        answer.cut(tidy(text[:end]), reread=False)
        trimmed = True
    return answer


def korean_value(text: str, field: FieldType, analyzer: Kiwi) -> str:
    """The value of a single-valued field (era, place, topic) from a cleaned answer."""
    answer = _korean(text, field, analyzer)
    text = answer.text
    if field is FieldType.TOPIC:
        return tidy(_nominalise(answer))
    if field is FieldType.ERA:
        # "조선 시대" and "조선시대" are one era: written as one word (not "살던 시대").
        for t in reversed(answer.tokens):
            if t.form == "시대" and t.start > 0 and text[t.start - 1] == " ":
                before = [b for b in answer.tokens if b.end == t.start - 1]
                if before and _tag(before[-1]) in NOMINAL:
                    text = text[: t.start - 1] + text[t.start :]
    return text


def _joins(tokens: Sequence[Token], i: int, word_end: int) -> bool:
    """Whether token i is a particle joining two names (토끼랑, 곰이랑, 도깨비하고)."""
    t = tokens[i]
    if _tag(t) in ("JC", "JKB") and t.form in COMITATIVE:
        return True
    if t.form in ("요", "이요") and t.end == word_end and i + 1 < len(tokens):
        return True  # said as a list: 뽀로로요 크롱이요
    # After an adjective Kiwi may read 도깨비하고 as 도깨비 + 하/XSA + 고/EC: still "and".
    return (
        t.form == "고"
        and t.end == word_end
        and i >= 2
        and tokens[i - 1].form == "하"
        and _tag(tokens[i - 2]) in NOMINAL
        and tokens[i - 2].end == tokens[i - 1].start
    )


def _swallowed_and(token: Token, before_another_word: bool) -> str:
    """The 랑 or 하고 an unknown word took in (티렉스랑/NNP*), when another name follows."""
    if not (before_another_word and token.oov and _tag(token) in NOMINAL):
        return ""
    form = token.form
    if form.endswith("하고") and len(form) > 2:
        return "하고"
    if form.endswith("이랑") and len(form) > 2 and _final_consonant(form[-3]):
        return "이랑"  # 이랑 follows a consonant (곰이랑), 랑 a vowel (티렉스랑)
    return "랑" if form.endswith("랑") and len(form) > 1 else ""


def korean_names(text: str, analyzer: Kiwi) -> list[str]:
    """Names split at 랑/와/하고, commas and 그리고, each without its particles."""
    answer = _korean(text, FieldType.CHARACTERS, analyzer)
    text, tokens = answer.text, answer.tokens
    items: list[tuple[int, int, bool]] = []  # (start, end, whether endings are still on)
    start = 0
    for i, t in enumerate(tokens):
        if t.start < start:
            continue
        word_start = text.rfind(" ", 0, t.start) + 1
        word_end = len(text) if (j := text.find(" ", t.end)) < 0 else j
        if _joins(tokens, i, word_end):
            items.append((start, t.end, True))  # the particle is cut with the other endings
            start = t.end
        elif joined := _swallowed_and(t, word_end < len(text) and t.end == word_end):
            items.append((start, t.end - len(joined), False))
            start = t.end
        elif set(t.form) <= set(",，、/&+·") or text[word_start:word_end] in _KO_AND:
            items.append((start, t.start, True))
            start = word_end if text[word_start:word_end] in _KO_AND else t.end
    # The answer's end was trimmed already (and what it kept, 토토로, stays kept).
    items.append((start, len(text), False))
    names = []
    for a, b, trim in items:
        end = _noun_end(answer, a, b, FieldType.CHARACTERS, last=False) if trim else b
        names.append(tidy(text[a:end]))
    return names
