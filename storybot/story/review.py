"""The content review: what a parent checks before a story may become a book.

The grammar and `validate` make a story well-formed; a well-formed story can still be a bad
book. Real small models, asked for a Korean picture book, stop mid-sentence at the length
limit, write English on Korean pages, return the instructions as the story, leave out the
characters the child asked for, or write the same page five times. Each check here names one
such fault as a `Finding`, in plain words for the log and as advice the next attempt's prompt
carries (`retry_note`), so a retry is told what was wrong.

Page checks run the moment a page closes (an attempt that cannot be a good book ends early);
story checks run on the whole story. Nothing here repairs: `storybot.story.repair` mends what
can be mended (cutting a page back to its last whole sentence) before the review looks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from storybot.korean import kiwi, listed
from storybot.models import Language, Page, Story, StoryRequest
from storybot.story.names import KO_NOUNS, name_key, romanise, sheet_entries
from storybot.story.repair import ends_a_sentence

LATIN_WORD = re.compile(r"[A-Za-z]+")
HANGUL = re.compile(r"[가-힣]")
# An upper-case abbreviation a Korean book prints as it is (TV, CD, DJ).
KOREAN_BOOK_LATIN = re.compile(r"[A-Z]{1,3}")

# The shortest page (pages 1 to 4, in characters) a book for each band may have; a page below
# it is a fragment, not a page. Well under what the prompt asks for (two sentences and more).
MIN_PAGE: dict[tuple[Language, str], int] = {
    ("ko", "3-5"): 12,
    ("ko", "4-8"): 20,
    ("ko", "7-10"): 30,
    ("en", "3-5"): 25,
    ("en", "4-8"): 35,
    ("en", "7-10"): 50,
}
MAX_TITLE_WORDS = 10
ECHO_SHARE = 0.5  # this share of a text's pieces found in the instructions: an echo
SAME_PAGE = 0.85  # this similarity between two pages: the same page twice
PROMPT_WORDS = ("image_prompt", "character_sheet", "JSON", "json")


@dataclass(frozen=True)
class Finding:
    """One fault a parent would see: where, what (for the log), and the kind of advice."""

    where: str  # "title", "page 2", "character sheet", "story"
    kind: str  # cut · language · echo · missing · repeated · short · title
    problem: str  # plain English, for the log and the operator

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


# -- pieces -----------------------------------------------------------------------------------


def _pieces(text: str, language: Language) -> set[str]:
    """What echo and sameness are measured in: Korean by four letters (spaces out), English by
    three words."""
    if language == "ko" or HANGUL.search(text):
        letters = re.sub(r"[^가-힣A-Za-z0-9]", "", text)
        return {letters[i : i + 4] for i in range(len(letters) - 3)}
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def _similarity(a: str, b: str, language: Language) -> float:
    pa, pb = _pieces(a, language), _pieces(b, language)
    if not pa or not pb:
        return 1.0 if a.strip() == b.strip() else 0.0
    return len(pa & pb) / min(len(pa), len(pb))


class Instructions:
    """What the model was told, less the child's own words (which a story rightly repeats)."""

    def __init__(self, messages: Sequence[dict[str, str]], request: StoryRequest) -> None:
        self.language: Language = request.language
        told = "\n".join(message["content"] for message in messages)
        answers = [request.era, request.place, request.characters, request.topic]
        if request.sequel is not None:  # a sequel rightly echoes the earlier title; its sheet
            answers += [request.sequel.title, request.sequel.character_sheet]  # is kept as is
        self._answers = set().union(*(_pieces(answer, self.language) for answer in answers))
        self._told = _pieces(told, self.language) - self._answers

    def echoed(self, text: str) -> bool:
        pieces = _pieces(text, self.language) - self._answers
        if any(word in text for word in PROMPT_WORDS):
            return True
        if len(pieces) < 4:
            return False
        return len(pieces & self._told) / len(pieces) >= ECHO_SHARE


# -- the checks -------------------------------------------------------------------------------


def language_findings(where: str, text: str, language: Language) -> list[Finding]:
    """Korean text holds Korean (an abbreviation such as TV may stay); English holds English."""
    if language == "ko":
        foreign = [w for w in LATIN_WORD.findall(text) if not KOREAN_BOOK_LATIN.fullmatch(w)]
        if foreign:
            shown = ", ".join(dict.fromkeys(foreign[:4]))
            return [Finding(where, "language", f"has English words on a Korean page ({shown})")]
        return []
    if any(c.isalpha() and ord(c) > 0x24F for c in text):  # beyond Latin (an emoji is fine)
        return [Finding(where, "language", "has letters that are not English")]
    return []


def page_findings(
    page: Page, request: StoryRequest, instructions: Instructions, limit: int
) -> list[Finding]:
    """One page's faults: cut, wrong language, an echo of the instructions, too short."""
    where = "cover" if page.page == 0 else f"page {page.page}"
    text = page.text.strip()
    findings = language_findings(where, text, request.language)
    at_limit = len(text) >= limit - 1
    if not ends_a_sentence(text) and (page.page > 0 or at_limit):
        findings.append(Finding(where, "cut", "stops in the middle of a sentence"))
    if instructions.echoed(text) or instructions.echoed(page.image_prompt):
        findings.append(Finding(where, "echo", "repeats the instructions instead of a story"))
    shortest = MIN_PAGE[(request.language, request.age)]
    if page.page > 0 and len(text) < shortest:
        findings.append(
            Finding(where, "short", f"is {len(text)} characters (a page needs {shortest})")
        )
    return findings


def title_findings(title: str, request: StoryRequest, instructions: Instructions) -> list[Finding]:
    findings = language_findings("title", title, request.language)
    if len(title.split()) > MAX_TITLE_WORDS:
        findings.append(Finding("title", "title", f"is {len(title.split())} words, not a title"))
    if instructions.echoed(title):
        findings.append(Finding("title", "echo", "repeats the instructions"))
    return findings


def _has_final(syllable: str) -> bool:
    """Whether a Hangul syllable ends in a consonant (it takes 이랑, 이요, 과 after it)."""
    return "가" <= syllable <= "힣" and (ord(syllable) - 0xAC00) % 28 != 0


def korean_base(word: str) -> str:
    """A requested Korean character without its particle: 호랑이랑 → 호랑이, 곰이랑 → 곰."""
    if word in KO_NOUNS:
        return word
    for particle in ("이랑", "이요", "랑", "요", "하고", "과", "와"):  # a noun we know wins
        if word.endswith(particle) and word[: -len(particle)] in KO_NOUNS:
            return word[: -len(particle)]
    for particle, after_final in (("이랑", True), ("이요", True), ("랑", False), ("요", False),
                                  ("하고", None), ("과", True), ("와", False)):  # fmt: skip
        stem = word[: -len(particle)]
        if (
            word.endswith(particle)
            and stem
            and (after_final is None or _has_final(stem[-1]) is after_final)
        ):
            return stem
    return word


# The words a character sheet uses for a kind a child asks for (a 강아지 is a puppy or a dog).
KINDS: dict[str, tuple[str, ...]] = {
    "puppy": ("puppy", "dog", "doggy"),
    "dog": ("dog", "puppy", "doggy"),
    "cat": ("cat", "kitten", "kitty"),
    "rabbit": ("rabbit", "bunny", "hare"),
    "chick": ("chick", "chicken", "bird"),
    "chicken": ("chicken", "hen", "rooster"),
    "turtle": ("turtle", "tortoise"),
    "bird": ("bird", "sparrow", "songbird"),
    "fish": ("fish", "goldfish"),
    "goblin": ("goblin", "dokkaebi"),
    "fairy": ("fairy", "nymph"),
    "mother": ("mother", "mom", "mum", "mommy"),
    "father": ("father", "dad", "daddy"),
    "grandmother": ("grandmother", "grandma", "granny"),
    "grandfather": ("grandfather", "grandpa"),
    "child": ("child", "kid", "girl", "boy"),
}


def _korean_characters(words: list[str]) -> list[list[str]]:
    """The characters in a part of Korean words: a word ending in a joining particle
    (랑, 하고, 와/과 — not a noun we know that merely ends so) closes one."""
    groups: list[list[str]] = [[]]
    for word in words:
        groups[-1].append(word)
        if word not in KO_NOUNS and korean_base(word) != word:
            groups.append([])
    return [group for group in groups if group]


def _is_name(word: str) -> bool:
    if listed(word):
        return True
    tokens = kiwi().tokenize(word)
    return len(tokens) == 1 and tokens[0].tag == "NNP"


@dataclass(frozen=True)
class Asked:
    """A character the request names, and how to find it in the story."""

    asked: str  # as the request wrote it
    words: tuple[str, ...]  # what a page may call it (any one will do)
    nouns: tuple[str, ...] = ()  # its kind in English: the sheet must say one of them
    names: tuple[str, ...] = ()  # its name, romanised: the sheet names it or describes it


def requested_characters(request: StoryRequest) -> list[Asked]:
    """Each character the request names (a part between commas or "and" is one character:
    "산타 할아버지", "Minjun, a curious boy" is two)."""
    found = []
    for part in (p.strip() for p in re.split(r"[,/&·+]|\band\b", request.characters)):
        hangul = re.findall(r"[가-힣]+", part)
        for group in _korean_characters(hangul):  # "우리 강아지 뭉치랑 고양이": two
            bases = [korean_base(word) for word in group]
            words = [*bases, *(b[:-1] for b in bases if b.endswith("이") and len(b) > 2)]
            nouns = tuple(KO_NOUNS[b] for b in bases if b in KO_NOUNS)
            names = tuple(romanise(b) for b in bases if b not in KO_NOUNS and _is_name(b))
            if request.language == "en":  # an English story spells them in English
                words += [*nouns, *names]
            found.append(Asked(" ".join(bases), tuple(words), nouns, names))
        if hangul:
            continue
        words = [w for w in re.findall(r"[A-Za-z]+", part) if w.lower() not in {"a", "an", "the"}]
        if words:
            capitalised = tuple(w for w in words if w[0].isupper())
            if capitalised:
                found.append(Asked(part, capitalised, names=capitalised))
            else:
                found.append(Asked(part, (words[-1],), nouns=(words[-1],)))
    return found


def _mentions(text: str, word: str) -> bool:
    if HANGUL.search(word):
        return word in text
    if re.search(rf"\b{re.escape(word)}(?:e?s)?\b", text, re.IGNORECASE):
        return True
    key = name_key(word)  # a romanised name in any spelling: Pororo, Ppororo
    return len(key) >= 3 and any(name_key(w) == key for w in re.findall(r"[A-Z][a-z]+", text))


def sheet_findings(sheet: str, asked: list[Asked]) -> list[Finding]:
    """The sheet describes every requested character: its kind in words (a tiger is "tiger",
    not someone else's rabbit); a name may be written or left to a description without one."""
    findings = []
    unnamed = [c for c in asked if c.names and not c.nouns]
    unnamed = [c for c in unnamed if not any(_mentions(sheet, n) for n in c.names)]
    bare = [entry for entry in sheet_entries(sheet) if entry.label is None]
    for character in asked:
        kinds = [word for noun in character.nouns for word in KINDS.get(noun, (noun,))]
        said = [*kinds, *character.names]  # 산타 할아버지: "Santa" will do; a puppy, a dog
        if character.nouns and not any(_mentions(sheet, word) for word in said):
            problem = f"does not describe {character.asked} ({character.nouns[0]})"
            findings.append(Finding("character sheet", "missing", problem))
    if len(unnamed) > len(bare):
        names = ", ".join(c.asked for c in unnamed)
        findings.append(Finding("character sheet", "missing", f"does not describe {names}"))
    return findings


def story_findings(
    story: Story, request: StoryRequest, instructions: Instructions
) -> list[Finding]:
    """The whole story's faults: a requested character left out, pages that repeat."""
    findings = title_findings(story.title, request, instructions)
    texts = [story.title, *(page.text for page in story.pages)]
    asked = requested_characters(request)
    for character in asked:
        in_pages = any(_mentions(text, word) for text in texts for word in character.words)
        # "Minjun, a curious boy": the boy is Minjun's description, kept in the sheet
        described = not character.names and any(
            _mentions(story.character_sheet, noun) for noun in character.nouns
        )
        if not in_pages and not (described and request.language == "en"):
            findings.append(Finding("story", "missing", f"never mentions {character.asked}"))
    findings += sheet_findings(story.character_sheet, asked)
    if instructions.echoed(story.character_sheet):
        findings.append(Finding("character sheet", "echo", "is copied from the instructions"))
    pages = [page for page in story.pages if page.page > 0]
    repeated: set[int] = set()
    for first, second in combinations(pages, 2):
        if second.page in repeated:
            continue
        if _similarity(first.text, second.text, request.language) >= SAME_PAGE:
            repeated.add(second.page)
            findings.append(
                Finding(f"page {second.page}", "repeated", f"repeats page {first.page}")
            )
    return findings


# -- what the next attempt is told ---------------------------------------------------------

_ADVICE: dict[str, dict[Language, str]] = {
    "cut": {
        "ko": "{where}이(가) 문장 중간에서 끊겼어요. 모든 쪽을 짧고 완전한 문장으로 끝내세요.",
        "en": "{where} stops mid-sentence. End every page with a whole, short sentence.",
    },
    "language": {
        "ko": "{where}에 영어가 섞였어요. 제목과 쪽 글은 한국어로만 쓰세요.",
        "en": "{where} is not in English. Write the title and pages in English only.",
    },
    "echo": {
        "ko": "{where}에 지시문을 그대로 옮겼어요. 지시문이 아니라 이야기를 쓰세요.",
        "en": "{where} repeats the instructions. Write the story, not the instructions.",
    },
    "missing": {
        "ko": "{where}: {problem}. 요청한 등장인물을 모두 등장시키고 character_sheet에 "
        "영어로 묘사하세요.",
        "en": "{where}: {problem}. Every requested character must appear and be described "
        "in the character_sheet.",
    },
    "repeated": {
        "ko": "{where}이(가) 다른 쪽과 거의 같아요. 쪽마다 이야기가 앞으로 나아가게 쓰세요.",
        "en": "{where} is nearly the same as another page. Move the story on with every page.",
    },
    "short": {
        "ko": "{where}이(가) 너무 짧아요. 쪽마다 완전한 문장 두 개 이상을 쓰세요.",
        "en": "{where} is too short. Write at least two whole sentences on every page.",
    },
    "title": {
        "ko": "제목은 짧은 제목이어야 해요 (문장이 아니라).",
        "en": "The title must be a short title, not a sentence.",
    },
}
_WHERE_KO = {
    "title": "제목",
    "cover": "표지",
    "character sheet": "character_sheet",
    "story": "이야기",
}


def retry_note(findings: Iterable[Finding], language: Language) -> str:
    """The faults of the last attempt as advice the next attempt's prompt carries."""
    lines: list[str] = []
    for finding in findings:
        where = finding.where
        if language == "ko":
            where = _WHERE_KO.get(where, where.replace("page ", "") + "쪽")
        advice = _ADVICE[finding.kind][language].format(where=where, problem=finding.problem)
        if advice not in lines:
            lines.append(advice)
    return "\n".join(f"- {line}" for line in lines[:6])
