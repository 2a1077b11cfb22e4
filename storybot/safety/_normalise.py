"""Normalised views of a text, so that spelling tricks reach the matchers as plain words.

`base` undoes width, case and accents (NFKC, lower case, `kíll` → `kill`), composes jamo typed
one by one into syllables (`ㅅㅏㄹㅇㅣㄴ` → `살인`, `ㅈ1랄` → `지랄`) and drops punctuation, digits,
symbols and stray jamo inside Korean words (`마.약`, `자ㅋ살` → `마약`, `자살`).
`echoed` takes out a vowel drawn out inside a Korean word (`씨이이발` → `씨발`).
`leet_variants` reads digits and symbols inside Latin words as letters (`k1ll`, `s3x`), and
`unhyphenated` takes a hyphen or dot out of a Latin word (`ex-posing`).
`spaced_words` joins letters typed apart (`살 인`, `K.I.L.L`) into the words they spell; the
matchers only count such a word when it alone spells something unsafe, so joining never makes
a match across two real words. `spelled_out` puts those words back into the text, so that an
English word typed apart is read in its sentence (`smokes w e e d`).
`korean_runs` joins Korean words across the spaces and marks between them (`섹 스 하 는`,
`코카 인`, `씨 .발`) and remembers where each word began and ended: the Korean matcher only
counts a word found across a gap when it starts where a typed word starts and ends where one
ends (or only an ending follows), so `고마 약속` never becomes 마약.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Compatibility jamo, in the order Unicode composes syllables from.
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JUNGSEONG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
JONGSEONG = (
    "", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ",
    "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ",
)  # fmt: skip
COMPOUND_VOWELS = {
    "ㅗㅏ": "ㅘ", "ㅗㅐ": "ㅙ", "ㅗㅣ": "ㅚ", "ㅜㅓ": "ㅝ", "ㅜㅔ": "ㅞ", "ㅜㅣ": "ㅟ",
    "ㅡㅣ": "ㅢ",
}  # fmt: skip
COMPOUND_FINALS = {
    "ㄱㅅ": "ㄳ", "ㄴㅈ": "ㄵ", "ㄴㅎ": "ㄶ", "ㄹㄱ": "ㄺ", "ㄹㅁ": "ㄻ", "ㄹㅂ": "ㄼ",
    "ㄹㅅ": "ㄽ", "ㄹㅌ": "ㄾ", "ㄹㅍ": "ㄿ", "ㄹㅎ": "ㅀ", "ㅂㅅ": "ㅄ",
}  # fmt: skip

# Leetspeak read inside Latin words; "1" stands for i or l, so both readings are tried.
LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
                      "!": "i", "|": "l", "+": "t"})  # fmt: skip
LEET_CHARS = "0134578@$!|+"
# Cyrillic and Greek letters that look Latin ("kіll" with a Cyrillic і); NFKC keeps them apart.
LOOKALIKES = str.maketrans(
    "авсеікмнорѕтухјαεικνορτυχ",
    "abceikmhopstyxjaeikvoptux",
)

HANGUL = "가-힣"
JAMO = "ㄱ-ㆎ"
# Invisible characters someone may slip between letters.
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u180e\u3164\uffa0]")
# Punctuation, symbols, digits and lone jamo (ㅡ as a dash, ㅋ as a wedge) between two syllables.
INSIDE_KOREAN = re.compile(rf"(?<=[{HANGUL}])(?:[^\w\s]|_|[{JAMO}]|[0-9])+(?=[{HANGUL}])")
# A consonant with a digit one or a bar for its vowel ㅣ (`ㅈ1랄`, `ㅅ|발`).
KOREAN_LEET = re.compile(rf"(?<![ㄱ-ㅎ][ㄱ-ㅎ])(?<=[ㄱ-ㅎ])[1l|!](?=[{HANGUL}ㄱ-ㅎ])")
COMBINING = re.compile("[\u0300-\u036f]")
# A syllable of a bare vowel (ㅇ + vowel, no final) that only draws out the syllable before it.
ECHO = {vowel: chr(0xAC00 + (11 * 21 + index) * 28) for index, vowel in enumerate(JUNGSEONG)}
LATIN_WORD = re.compile(rf"[a-z{re.escape(LEET_CHARS)}*]*[a-z][a-z{re.escape(LEET_CHARS)}*]*")
TOKEN = re.compile(rf"[{HANGUL}]+|[{JAMO}]+|[a-z0-9{re.escape(LEET_CHARS)}*]+")
# Korean prose puts a comma or full stop after a one-syllable word ("자, 해 봐"): such a gap
# ends a run of spaced syllables. Latin letters typed apart use any separator ("K. I. L. L").
PROSE_GAP = re.compile(r"[,.!?;:…]\s")
REPEATED = re.compile(r"([a-z])\1{2,}")


def _to_compat(char: str) -> str:
    """One jamo of any Unicode block as a compatibility jamo; other characters NFKC'd."""
    code = ord(char)
    if 0x1100 <= code <= 0x11FF or 0xA960 <= code <= 0xA97F or 0xD7B0 <= code <= 0xD7FF:
        name = unicodedata.name(char, "")
        for kind in ("CHOSEONG ", "JUNGSEONG ", "JONGSEONG "):
            if kind in name:
                try:
                    return unicodedata.lookup("HANGUL LETTER " + name.split(kind, 1)[1])
                except KeyError:
                    return char
    if 0x3131 <= code <= 0x318E:
        return char  # NFKC would turn these into conjoining jamo that never compose
    if 0xFFA0 <= code <= 0xFFDC:  # half-width jamo
        return unicodedata.normalize("NFKC", char).translate(_CONJOINING_TO_COMPAT)
    if 0xC0 <= code <= 0x24F:  # accented Latin letters: the letter without its accent
        return COMBINING.sub("", unicodedata.normalize("NFKD", char))
    return unicodedata.normalize("NFKC", char)


_CONJOINING_TO_COMPAT = {
    ord(unicodedata.normalize("NFKC", chr(code))): chr(code)
    for code in range(0x3131, 0x318F)
    if len(unicodedata.normalize("NFKC", chr(code))) == 1
}


def compose_jamo(text: str) -> str:
    """Compose runs of jamo typed one by one into syllables; lone consonants stay (ㅅㅂ)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        vowel = text[i + 1] if i + 1 < n else ""
        if char in CHOSEONG and vowel and vowel in JUNGSEONG:
            j = i + 2
            if j < n and vowel + text[j] in COMPOUND_VOWELS:
                vowel, j = COMPOUND_VOWELS[vowel + text[j]], j + 1
            final = ""
            if j < n and text[j] in JONGSEONG[1:] and not _vowel_at(text, j + 1):
                final, j = text[j], j + 1
                pair = final + (text[j] if j < n else "")
                if pair in COMPOUND_FINALS and not _vowel_at(text, j + 1):
                    final, j = COMPOUND_FINALS[pair], j + 1
            code = (
                0xAC00
                + (CHOSEONG.index(char) * 21 + JUNGSEONG.index(vowel)) * 28
                + JONGSEONG.index(final)
            )
            out.append(chr(code))
            i = j
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _vowel_at(text: str, index: int) -> bool:
    return index < len(text) and text[index] in JUNGSEONG


def base(text: str, *, inside: bool = True) -> str:
    """NFKC, lower case, accents, jamo composed, invisible characters and in-word Korean
    punctuation gone (kept with `inside=False`, for initials typed inside a word: `개ㅅ끼`)."""
    text = INVISIBLE.sub("", text)
    text = "".join(_to_compat(char) for char in text).lower().translate(LOOKALIKES)
    text = COMBINING.sub("", text)
    text = compose_jamo(KOREAN_LEET.sub("ㅣ", text))
    return INSIDE_KOREAN.sub("", text) if inside else text


def echoed(text: str) -> str:
    """`text` with a bare vowel syllable that repeats the vowel before it taken out
    (`씨이이발` → `씨발`, `마아약` → `마약`); the text itself when there is none."""
    out: list[str] = []
    for char in text:
        last = out[-1] if out else ""
        if last and "가" <= last <= "힣" and "가" <= char <= "힣":
            code = ord(last) - 0xAC00
            if code % 28 == 0 and char == ECHO[JUNGSEONG[code // 28 % 21]]:
                continue
        out.append(char)
    return "".join(out)


HYPHENATED = re.compile(r"(?<=[a-z])[-_.'’](?=[a-z]{2})")


def unhyphenated(text: str) -> list[str]:
    """`text` with a hyphen, dot or underscore inside a Latin word taken out (`ex-posing`,
    `tw_erk`); empty when there is none."""
    joined = HYPHENATED.sub("", text)
    return [joined] if joined != text else []


def leet_variants(text: str) -> list[str]:
    """`text` with leetspeak inside Latin words read as letters, and with letters held down
    (`fuuuuck`, `kiiiill`) cut to one; empty when there is neither."""
    variants = []
    if REPEATED.search(text):
        variants.append(REPEATED.sub(r"\1", text))
    words = [m for m in LATIN_WORD.finditer(text) if any(c in LEET_CHARS for c in m.group())]
    if not words:
        return variants
    for one in ("i", "l"):
        table = {**LEET, ord("1"): one}
        pieces, last = [], 0
        for match in words:
            word = match.group().rstrip("!")  # "kill!" ends a sentence, it is not "killi"
            pieces += [text[last : match.start()], word.translate(table)]
            last = match.start() + len(word)
        pieces.append(text[last:])
        variants.append("".join(pieces))
    return list(dict.fromkeys(variants))


@dataclass(frozen=True)
class SpacedWord:
    """Letters typed apart, joined: `word`; `script` is "ko" or "en"; where it was typed."""

    word: str
    script: str
    start: int = 0
    end: int = 0


def spaced_words(text: str) -> list[SpacedWord]:
    """Words spelled with their letters apart (`살 인`, `k.i.l.l`), plus a Korean word that
    ends such a run (`살 인을` → `살인을`), for the matchers to check one by one."""
    tokens = list(TOKEN.finditer(text))
    found: list[SpacedWord] = []
    i = 0
    while i < len(tokens):
        run = [tokens[i]]
        script = _script(tokens[i].group())
        if not script or len(_letters(tokens[i].group())) != 1:
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and _joins(text, run[-1], tokens[j], script):
            single = len(_letters(tokens[j].group())) == 1
            if not single and script == "en":
                break
            run.append(tokens[j])
            j += 1
            if not single:
                break  # a Korean word ends the run: its ending may be attached ("살 인을")
        singles = sum(len(_letters(t.group())) == 1 for t in run)
        if singles >= 2 or (singles == 1 and len(run) == 2 and script == "ko"):
            word = "".join(t.group() for t in run)
            # Leetspeak in Latin letters; jamo typed apart ("ㅅ ㅏ ㄹ") composed.
            latin = word.translate({**LEET, ord("1"): "i"})
            word = latin if script == "en" else compose_jamo(word)
            found.append(SpacedWord(word, script, run[0].start(), run[-1].end()))
        i = max(j, i + 1)
    return found


def _script(token: str) -> str:
    if re.fullmatch(f"[{HANGUL}{JAMO}]+", token):
        return "ko"
    if re.fullmatch(rf"[a-z0-9{re.escape(LEET_CHARS)}*]+", token):
        return "en"
    return ""


def _letters(token: str) -> str:
    return re.sub(rf"[^{HANGUL}{JAMO}a-z0-9{re.escape(LEET_CHARS)}]", "", token)


def _joins(text: str, left: re.Match[str], right: re.Match[str], script: str) -> bool:
    if _script(right.group()) != script:
        return False
    gap = text[left.end() : right.start()]
    if not gap or "\n" in gap or len(gap) > 3:
        return False
    return script == "en" or not PROSE_GAP.search(gap + " ")


def spelled_out(text: str, spaced: list[SpacedWord]) -> list[str]:
    """`text` with each English word typed apart written as one word; a leading "a" or "i" is
    tried both as part of the word (`a s s`) and as a word of its own (`a m.u.r.d.e.r`)."""
    words = [w for w in spaced if w.script == "en"]
    if not words:
        return []
    views = []
    for split_article in (False, True):
        pieces, last = [], 0
        for word in words:
            spelled = word.word
            if split_article and len(spelled) > 3 and spelled[0] in "ai":
                spelled = f"{spelled[0]} {spelled[1:]}"
            pieces += [text[last : word.start], spelled]
            last = word.end
        pieces.append(text[last:])
        views.append("".join(pieces))
    return list(dict.fromkeys(views))


@dataclass(frozen=True)
class KoreanRun:
    """Korean words typed with gaps between them, joined: `text`, and the offsets in it where a
    typed word started, where one ended and where a gap was taken out."""

    text: str
    starts: frozenset[int]
    ends: frozenset[int]
    gaps: frozenset[int]


KOREAN_WORD = re.compile(f"[{HANGUL}]+")
# What may stand between two Korean words typed apart: spaces, marks, digits, jamo; no letters.
KOREAN_GAP = re.compile(rf"(?:[^\w\n]|_|[0-9{JAMO}])" + "{1,3}")


def korean_runs(text: str) -> list[KoreanRun]:
    """Every run of two or more Korean words with short gaps between them, joined."""
    runs: list[KoreanRun] = []
    words = list(KOREAN_WORD.finditer(text))
    chain: list[re.Match[str]] = []
    for word in [*words, None]:
        if chain and word is not None:
            gap = text[chain[-1].end() : word.start()]
            if KOREAN_GAP.fullmatch(gap) and not PROSE_GAP.match(gap + " "):
                chain.append(word)
                continue
        if len(chain) > 1:
            runs.append(_run(chain))
        chain = [word] if word is not None else []
    return runs


def _run(chain: list[re.Match[str]]) -> KoreanRun:
    starts, ends, gaps, offset = set(), set(), set(), 0
    for index, word in enumerate(chain):
        starts.add(offset)
        if index:
            gaps.add(offset)
        offset += len(word.group())
        ends.add(offset)
    text = "".join(word.group() for word in chain)
    return KoreanRun(text, frozenset(starts), frozenset(ends), frozenset(gaps))
