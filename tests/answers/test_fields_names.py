"""Names children ask for are never cut, whatever particle or ending follows them.

Every name below, in every form a child might say it (bare, polite 요, 랑, 와, 하고, a subject
particle before a verb, a request, the copula, fillers before it), comes back whole. The
particles follow the name's last syllable: 이요/이랑/과/이 after a consonant, 요/랑/와/가 after
a vowel, as Korean grammar has it.
"""

from __future__ import annotations

import pytest

from storybot.answers.fields import parse_field

NAMES = [
    *("뽀로로", "크롱", "루피", "에디", "포비", "타요", "로기", "콩순이", "핑크퐁", "아기상어"),
    *("티니핑", "하츄핑", "짱구", "흰둥이", "토토로", "마시마로", "방귀대장 뿡뿡이"),
    *("캐치! 티니핑", "브레드이발소", "꼬마버스 타요", "코코몽", "로보카폴리", "둘리", "엘사"),
    *("민준이", "서연이"),  # children's own names, not in any list: the 이 stays
]


def _batchim(word: str) -> bool:
    last = word[-1]
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 > 0


def _forms(name: str) -> list[tuple[str, list[str]]]:
    """(what is said, the names expected) for one name."""
    b = _batchim(name)
    yo, rang, wa, ga = ("이요", "이랑", "과", "이") if b else ("요", "랑", "와", "가")
    ro, ieyo, ieoss = ("으로", "이에요", "이었으면") if b else ("로", "예요", "였으면")
    return [
        (name, [name]),
        (f"{name}{yo}", [name]),
        (f"{name}{rang}", [name]),
        (f"{name}{rang}요", [name]),
        (f"{name}{rang} 토끼요", [name, "토끼"]),
        (f"{name}{wa} 고양이", [name, "고양이"]),
        (f"{name}하고 여우", [name, "여우"]),
        (f"토끼랑 {name}{yo}", ["토끼", name]),
        (f"{name}{ga} 나와요", [name]),
        (f"{name}{ro} 해 주세요", [name]),
        (f"음 {name}{ieyo}", [name]),
        (f"그냥 {name}{ieoss} 좋겠어요", [name]),
        (f"{name}{yo} 고양이요", [name, "고양이"]),
    ]


CASES = [case for name in NAMES for case in _forms(name)]


@pytest.mark.parametrize(("said", "expected"), CASES, ids=[said for said, _ in CASES])
def test_names_are_never_cut(said: str, expected: list[str]) -> None:
    assert parse_field("characters", said) == expected


@pytest.mark.parametrize(
    ("field", "said", "expected"),
    [
        ("place", "뽀로로 마을이요", "뽀로로 마을"),
        ("place", "짱구네 집에서요", "짱구네 집"),
        ("place", "토토로 숲으로 해 주세요", "토토로 숲"),
        ("topic", "타요처럼 용감하기요", "타요처럼 용감하기"),
        ("era", "둘리가 살던 시대요", "둘리가 살던 시대"),
    ],
)
def test_names_inside_other_fields(field: str, said: str, expected: str) -> None:
    assert parse_field(field, said) == expected
