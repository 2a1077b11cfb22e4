"""Korean acts of the third round, read by what makes them harm rather than by their words.

- Violence by its outcome or its means: a beating that ends in a nosebleed, a faint or death
  (죽게 만들다), a person or an animal beaten with a club or a brick (not a ball hit with a
  bat), a living thing's tail set on fire, starving (굶기다), locking up without food.
- Weapons: a kitchen knife or a cutter brandished at people (a cook at a cutting board is not).
- Self-harm said indirectly: a suicide note (유서) with a roof or a bridge (not grandpa's will
  and a treasure map), over a bridge's railing, deciding to die (죽기로 결심), wishing to vanish
  from the world, a hoard of sleeping pills swallowed at once.
- Drugs: a drink spiked until someone passes out (not medicine stirred into a child's water),
  something rolled and smoked (말아 피우다).
- Sexual: an adult stroking a sleeping woman's leg or anyone's thigh or bottom, a maid summoned
  to the bedroom, a coat string untied at night by a couple.
- Hate: a people said to rule the world, a child of a colour called an animal.
- Profanity: 조까 typed apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import storybot.safety._korean_lexicon as lex
import storybot.safety._korean_words as words
from storybot.safety._categories import (
    DRUGS,
    HATE,
    PROFANITY,
    SELF_HARM,
    SEXUAL,
    VIOLENCE,
    WEAPONS,
    Hit,
)
from storybot.safety._korean_acts import Morpheme, _negated, _object
from storybot.safety._korean_words import _set

LIVING = words.PEOPLE | lex.ANIMALS | lex.KIDS
BEATS = _set(
    "때리 패 두들기 두드려패 구타 폭행 걷어차 짓밟 밟 찌르 조르 후려치 내리치 갈기 던지 괴롭히"
)
# Body parts a blow lands on: a slap on the cheek is a blow whoever gets it.
STRUCK = _set("뺨 따귀 얼굴 머리 배 등 정강이 머리통 귀싸대기")
CUT_THROATS = _set("따 베 자르 긋 치")
STRUCK_VERBS = _set("때리 치 갈기 후려치 내리치 밟 차 걷어차")
AIMS = _set("겨누 겨냥 쏘 쏴")
SKINS = _set("벗기 가죽")
HURTS = _set("코피 피 피멍 기절 혼절 실신 쓰러지 부러지 숨지 죽 피투성이 피범벅")
PESTS = _set("모기 파리 벌레 바퀴벌레 쥐 해충 날파리")
CLUBS = _set(
    "몽둥이 방망이 야구방망이 쇠파이프 파이프 각목 벽돌 망치 쇠몽둥이 채찍 벨트 허리띠 골프채"
)
STRIKES = _set("때리 패 치 두들기 내리치 후려치 갈기")
TAILS = _set("꼬리 털 수염 날개 몸 머리 옷 발")
LIGHTS = _set("붙이 지르 놓")
HUNGRY = _set("굶 굶기 밥 먹이 며칠 물")
# Knives of a kitchen or a toolbox: a weapon when waved at people; swords of tales are not here.
KNIVES = _set("식칼 부엌칼 과도 회칼 커터칼 면도칼 흉기 잭나이프 나이프 송곳")
WAVES = _set("휘두르 들이대 겨누 들이밀 위협하 협박하")
THREATENED = _set("쫓 위협 협박 찌르 사람 사람들 아이 아이들 친구 친구들 손님")
NOTE_PLACES = _set("옥상 대교 한강 난간 뛰어내리 수면제 죽 번개탄 밧줄")
BRIDGES = _set("다리 대교 옥상 베란다 난간 지붕 절벽 아파트")
OVER = _set("넘 넘어가 넘어서 넘어가 타넘")
DECIDES = _set("결심 마음먹 작정 다짐 각오")
HOARDED = _set("모으 몽땅 전부 한꺼번에 통째 잔뜩 털어넣")
SLEEPING_PILLS = _set("수면제 수면유도제 신경안정제 안정제 진통제")
POTIONS = _set("약 수면제 가루 약물 마약 수면유도제")
SPIKED_INTO = _set("음료 술 잔 커피 주스 물 컵 음료수 술잔")
KNOCKED_OUT = _set("정신 기절 쓰러지 의식 혼절 실신")
TOUCHES = _set("쓰다듬 만지 더듬 주무르 문지르 핥")
INTIMATE = _set("허벅지 엉덩이 사타구니 성기 음부 속옷 젖가슴")
BODY = _set("다리 몸 허리 가슴")
CARE = _set("아기 기저귀 목욕 병원 의사 간호사 연고 약 치료 다치 아프")
SNEAKY = _set("슬쩍 몰래")
PEEKS = _set("문틈 엿보 훔쳐보 몰래 구멍")
BEDROOMS = _set("침실 침소 안방 규방 내실")
MAIDS = lex.PARTNERS | _set("궁녀 후궁 기생 첩 여종 종 시녀")
NIGHTS = _set("밤 첫날밤")
SECRET = _set("비밀 우리끼리 아무한테 아무에게")
GROOMS = _set("뽀뽀 만지 사진 옷 벗 안 껴안 쓰다듬 목욕 키스")
POWDER = _set("가루 분말")
SNORTS = _set("들이마시 흡입 빨아들이 들이키")
SYRINGES = _set("주사기 주사바늘")
CLINIC = _set("병원 의사 간호사 치료 예방 예방접종 아기 아프 수의사 보건소 감기")
COOKING = _set("요리 요리사 요리하 손질 부엌 주방 식당")
GORE = _set("눈알 내장 창자 두개골 골수 손톱 발톱")
GORED = _set("파내 쏟아지 뽑 터지 깨 부수 깨부수 꺼내 흘러나오")
BONES = _set("뼈 다리 팔 갈비뼈 목뼈 코뼈")
BREAKS = _set("부러뜨리 분지르 꺾")
THIN = _set("살 날씬 다이어트 뚱뚱 마르 말라깽이 뼈")
PURGES = _set("토하 굶")
YOUNG = lex.KIDS | _set("여학생 남학생 여고생 여중생 초등학생 중학생 고등학생 학생 제자")
TAKES = _set("데려가 데리 데려오 끌고가 부르")
TREATS = _set("사탕 용돈 선물 과자 장난감 돈")
BRANDS = _set("전기충격기 충격기 담뱃불 인두 라이터 불")
RULES = _set("지배 조종 장악 지배하 조종하")
WORLDS = _set("세상 세계 돈 언론 은행")
BEASTS = _set("원숭이 짐승 벌레 바퀴벌레 노예 쓰레기 고릴라 침팬지")
CALLS = _set("부르 놀리 이 라고 흉내")
THINGS = _set("인형 로봇 의자 책상 탁자 장갑 고무장갑 눈사람 허수아비 종이 나무 곰인형")
FINGERS = _set("손가락 발가락 귀 코 혀 손목 발목 팔 다리 손 발")
CUTS = _set("자르 베 썰 잘라내 끊")
HEAVENS = _set("하늘나라 천국 저세상 곁")
HOOKS = _set("문고리 나뭇가지 가지 천장 옷걸이 고리 대들보 나무")
HANGS = _set("걸 걷 매 묶")
HIGH = _set("헤롱헤롱 해롱해롱 몽롱 환각 하이")
LEAVES = _set("나가 꺼지 쫓겨나 사라지")
SEXES = _set("여자 남자 여자애 남자애 여자애들 남자애들 여자들 남자들 계집애")
GROOMING = _set("구석구석 특별 비밀 우리끼리 아무 몰래 사랑")
SKIN_COLOURS = _set("까맣 검 까만 검은 시커멓 하얗 노랗 누렇")
CLIMBS = _set("올라가 올라서 오르 서")
PLUNGES = _set("뛰어들 뛰어내리 떨어지 몸 뛰")
WATERS = _set("강물 강 바다 호수 바닷물 저수지")
ANSWERS = _set("답 방법 결심 싶 정답")
KID_DRINKS = _set("취하 원샷 들이키 병나발")
UNDRESSED = _set("속옷 알몸 벗 맨몸 나체 팬티")


def harms(sentence: Sequence[Morpheme]) -> Iterator[tuple[Hit, int]]:
    """Every act of this module in one sentence, with the index of its token."""
    forms = [t.form for t in sentence]
    present = set(forms)
    yield from _violence(sentence, forms, present)
    yield from _self_harm(sentence, forms, present)
    yield from _drugs(sentence, forms, present)
    yield from _sexual(sentence, forms, present)
    yield from _hate(sentence, forms, present)
    for i in range(len(sentence)):
        if forms[i : i + 2] == ["조", "까"] or forms[i] == "조까":
            yield Hit(PROFANITY, "조까"), i


def _violence(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    # A child's name (민수를) is someone too.
    living = LIVING | {t.form for t in sentence if t.tag == "NNP"}
    hurt = bool(present & HURTS)
    for i, token in enumerate(sentence):
        form = token.form
        toy = i > 0 and forms[i - 1] in words.PREVIOUS_EXCEPTIONS["총"]  # 물/총
        if form == "총" and present & AIMS and not present & words.PLAY_WORDS and not toy:
            yield Hit(WEAPONS, "총+" + min(present & AIMS)), i  # 총/MM: Kiwi's "in all"
        verb = token.tag.startswith("VV") or token.tag.startswith("NN")
        if not verb or _negated(sentence, i):
            continue
        done_to = _object(sentence, i)
        beaten = done_to in living or (not done_to and present & living)
        kicked = form == "차" and token.tag.startswith("VV") and "발" in present
        if (form in BEATS or kicked) and hurt and done_to not in PESTS and beaten:
            yield Hit(VIOLENCE, f"{form}+{'/'.join(sorted(present & HURTS))}"), i
        if form in STRIKES and done_to in living and _with(sentence, i, CLUBS):
            yield Hit(VIOLENCE, f"{done_to}+몽둥이"), i
        if form in LIGHTS and done_to == "불" and _on_living(sentence, i, living):
            yield Hit(VIOLENCE, "몸에 불을 붙이"), i
        if form == "굶기" or (form == "가두" and present & HUNGRY and "며칠" in present):
            yield Hit(VIOLENCE, form), i
        gore = done_to in GORE | {"머리"} or bool(present & GORE)
        if form in GORED and gore and not present & (lex.FOODS | COOKING):
            yield Hit(VIOLENCE, f"{done_to or min(present & GORE)}+{form}"), i
        broken = done_to.endswith("뼈") or (done_to in BONES and _owner(sentence, i) in living)
        if form in BREAKS and broken:
            yield Hit(VIOLENCE, f"{done_to}+{form}"), i
        if form in STRUCK_VERBS and done_to in STRUCK and present & living:
            yield Hit(VIOLENCE, f"{done_to}+{form}"), i
        if form in CUT_THROATS and done_to == "목" and token.tag.startswith("VV"):
            yield Hit(VIOLENCE, "목을 " + form), i
        if form == "잡" and done_to == "머리채":
            yield Hit(VIOLENCE, "머리채를 잡"), i
        if form in SKINS and "채" in present and present & {"산", "살"}:  # 산 채로 (살/ㄴ 채)
            yield Hit(VIOLENCE, "산 채로 " + form), i
        owner = _owner(sentence, i)
        cut_off = owner in living or (owner and owner not in THINGS) or present & living
        if form in CUTS and done_to in FINGERS and cut_off:
            yield Hit(VIOLENCE, f"{done_to}+{form}"), i
        if form in ("뜯", "물어뜯", "뜯어먹") and "목" in (done_to, forms[i - 1]):
            yield Hit(VIOLENCE, "목을 뜯"), i
        if form == "태우" and forms[i - 2 : i] == ["불", "에"] and _alive(done_to, living):
            yield Hit(VIOLENCE, f"{done_to}+불에 태우"), i
        if form == "익사" and forms[i + 1 : i + 2] == ["시키"]:
            yield Hit(VIOLENCE, "익사시키"), i
        if form == "지지" and token.tag.startswith("VV") and present & BRANDS and present & living:
            yield Hit(VIOLENCE, f"{done_to}+지지"), i
        if form == "죽" and forms[i + 1 : i + 3] in (["게", "만들"], ["게", "하"]):
            yield Hit(VIOLENCE, "죽게 만들"), i
        waved = present & KNIVES and present & THREATENED and not present & lex.KITCHEN
        if form in WAVES and waved:
            yield Hit(WEAPONS, "칼+" + form), i


def _owner(sentence: Sequence[Morpheme], i: int) -> str:
    """Whose body part the verb at `i` is done to: 친구(의) 다리를 → 친구; 의자 다리를 → 의자."""
    for j in range(i - 1, max(0, i - 6), -1):
        if sentence[j].tag == "JKO":
            k = j - 2
            if k >= 0 and sentence[k].tag == "JKG":
                k -= 1
            return sentence[k].form if k >= 0 else ""
    return ""


def _alive(noun: str, living: frozenset[str]) -> bool:
    """A person or an animal, also in a compound Kiwi keeps whole (길고양이, 아기고양이)."""
    return noun in living or any(noun.endswith(a) for a in lex.ANIMALS if len(a) > 1)


def _with(sentence: Sequence[Morpheme], i: int, tools: frozenset[str]) -> bool:
    """A tool marked with 로/으로 before the verb at `i`, in its clause (몽둥이로 패다)."""
    for j in range(i - 1, max(0, i - 8), -1):
        if sentence[j].form in ("로", "으로") and sentence[j - 1].form in tools:
            return True
    return False


def _on_living(sentence: Sequence[Morpheme], i: int, living: frozenset[str]) -> bool:
    """불을 붙이다 on a living thing's body (고양이 꼬리에), not on a candle or a campfire."""
    for j in range(max(1, i - 8), i):
        if sentence[j].form in ("에", "에게") and (
            sentence[j - 1].form in living
            or (sentence[j - 1].form in TAILS and j > 1 and sentence[j - 2].form in living)
        ):
            return True
    return False


def _self_harm(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    for i, form in enumerate(forms):
        after = forms[i + 1 : i + 4]
        if form == "유서" and present & NOTE_PLACES:
            yield Hit(SELF_HARM, "유서"), i
        elif form == "난간" and _over_the_rail(present, forms):
            yield Hit(SELF_HARM, "난간을 넘"), i
        elif form == "죽" and after[:2] == ["기", "로"] and set(after[2:3]) & DECIDES:
            yield Hit(SELF_HARM, "죽기로 결심"), i
        elif form == "죽" and after[:2] == ["을", "결심"]:
            yield Hit(SELF_HARM, "죽을 결심"), i
        elif form == "ㅈㅅ" and present & {"방법", "실행", "결심", "싶"}:
            yield Hit(SELF_HARM, "ㅈㅅ"), i
        elif (
            form == "들어가"
            and present & WATERS
            and "다시" in present
            and present & {"나오", "돌아오"}
        ):
            yield Hit(SELF_HARM, "물로 걸어 들어가"), i
        elif form == "사라지" and "스스로" in forms[max(0, i - 2) : i] and present & ANSWERS:
            yield Hit(SELF_HARM, "스스로 사라지"), i
        elif form == "떠나" and _object(sentence, i) == "세상" and "스스로" in present:
            yield Hit(SELF_HARM, "스스로 세상을 떠나"), i
        elif form in HANGS and _object(sentence, i) in lex.ROPES and present & HOOKS:
            if present & HEAVENS or "죽" in present:
                yield Hit(SELF_HARM, "줄을 걸어 하늘나라"), i
        elif (
            form == "편하"
            and "싶" in forms[i + 1 : i + 6]
            and _over_the_rail(present | {"넘"}, forms)
        ):
            yield Hit(SELF_HARM, "난간+편해지고 싶"), i
        elif form == "잠들" and after[:2] == ["고", "싶"] and "영원히" in present:
            yield Hit(SELF_HARM, "영원히 잠들고 싶"), i
        elif form == "깨어나" and after[:3] == ["지", "않", "고"] and "싶" in forms[i + 4 : i + 5]:
            yield Hit(SELF_HARM, "깨어나지 않고 싶"), i
        elif form == "사라지" and after[:2] == ["고", "싶"] and present & {"세상", "영원히"}:
            yield Hit(SELF_HARM, "세상에서 사라지고 싶"), i
        elif form in PURGES and present & THIN and ("빼" in present or form == "토하"):
            yield Hit(SELF_HARM, "살을 빼려고 " + form), i
        elif form in SLEEPING_PILLS and present & words.SWALLOWS and _at_once(forms, present):
            yield Hit(SELF_HARM, form + "+한꺼번에"), i


def _over_the_rail(present: set[str], forms: list[str]) -> bool:
    """Over a bridge's or a roof's railing, or up on it and into the water below."""
    high = present & (BRIDGES - {"난간"}) or _bridge(forms)
    return bool(high and (present & OVER or (present & CLIMBS and present & PLUNGES)))


def _at_once(forms: list[str], present: set[str]) -> bool:
    """A hoard swallowed together: 모아 둔, 한 번에, 한꺼번에, 몽땅."""
    once = any(forms[k : k + 3] == ["한", "번", "에"] for k in range(len(forms)))
    return once or bool(present & HOARDED)


def _statement(
    sentence: Sequence[Morpheme], forms: list[str], who: frozenset[str]
) -> Iterator[tuple[Hit, int]]:
    """여자는 원래 멍청해: a whole sex said to be something low (adverbs skipped)."""
    for i, form in enumerate(forms[:-1]):
        if form not in who or not sentence[i + 1].tag.startswith("J"):
            continue
        said = [
            t.form
            for t in sentence[i + 2 : i + 6]
            if t.form in lex.SLIGHTS or not t.tag.startswith(("MAG", "NNG"))
        ]
        if said and said[0] in lex.SLIGHTS:
            yield Hit(HATE, f"{form}+{said[0]}"), i


def _bridge(forms: list[str]) -> frozenset[str]:
    """A bridge by its name: 마포대교, 한강대교."""
    return frozenset(f for f in forms if f.endswith("대교"))


def _drugs(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    for i, form in enumerate(forms):
        rolled = (
            i + 1 < len(forms) and sentence[i + 1].tag == "EC" and "피우" in forms[i + 2 : i + 4]
        )
        spiked = present & SPIKED_INTO and present & KNOCKED_OUT
        if form in ("떨", "위드") and "피우" in forms[i + 1 : i + 3] and "불" not in present:
            yield Hit(DRUGS, form + " 피우"), i
        elif form == "위" and forms[i + 1 : i + 3] == ["드", "피우"]:
            yield Hit(DRUGS, "위드 피우"), i
        elif form == "작대기" and forms[i + 1 : i + 2] == ["놓"]:
            yield Hit(DRUGS, "작대기 놓"), i
        elif form in words.PILLS and present & HIGH:
            yield Hit(DRUGS, form + "+헤롱헤롱"), i
        elif form in KID_DRINKS and present & words.ALCOHOL and present & words.MINORS:
            yield Hit(DRUGS, "아이+" + form), i
        elif form == "약" and forms[i + 1 : i + 2] == ["빨"]:
            yield Hit(DRUGS, "약 빨"), i
        elif form in SNORTS and present & POWDER and "코" in present:
            yield Hit(DRUGS, "가루를 코로"), i
        elif form in SYRINGES and "맞" in present and not present & CLINIC:
            yield Hit(DRUGS, "주사기로 맞"), i
        elif form == "말" and rolled:
            yield Hit(DRUGS, "말아 피우"), i
        elif form in ("타", "넣", "섞") and spiked and _object(sentence, i) in POTIONS:
            yield Hit(DRUGS, "음료에 약을 타"), i


def _sexual(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    for i, form in enumerate(forms):
        if form in TOUCHES and not _negated(sentence, i):
            done_to = _object(sentence, i)
            body = done_to in BODY or "몸" in present
            groomed = body and present & YOUNG and present & GROOMING
            if (done_to in INTIMATE and not present & CARE) or groomed:
                yield Hit(SEXUAL, f"{done_to}+{form}"), i
            elif done_to in BODY and present & words.STRANGERS and present & SNEAKY:
                yield Hit(SEXUAL, f"몰래 {done_to}+{form}"), i
        elif form in SECRET and present & GROOMS and present & words.STRANGERS:
            yield Hit(SEXUAL, "비밀+" + min(present & GROOMS)), i
        elif form in TAKES and "모텔" in present and _object(sentence, i) in YOUNG | MAIDS:
            yield Hit(SEXUAL, "모텔에 데려가"), i
        elif form == "뽀뽀" and present & TREATS and present & words.STRANGERS:
            yield Hit(SEXUAL, "뽀뽀+사탕"), i
        elif (
            form == "거기"
            and present & {"만지", "보이", "보여주"}
            and not _negated(sentence, i + 2)
        ):
            yield Hit(SEXUAL, "거기+만지"), i
        elif form == "침대" and "밤" in present and "일" in present and present & PEEKS:
            yield Hit(SEXUAL, "밤에 침대에서 하는 일"), i
        elif form == "사진" and present & UNDRESSED and "보내" in present:
            yield Hit(SEXUAL, "벗은 사진 보내"), i
        elif form == "벗" and "서로" in present and present & TOUCHES:
            yield Hit(SEXUAL, "벗고 서로"), i
        elif form == "ㅈㅈ" and present & {"보이", "만지", "보여주", "지"}:
            yield Hit(SEXUAL, "ㅈㅈ"), i
        elif form == "부르" and present & BEDROOMS and _object(sentence, i) in MAIDS:
            yield Hit(SEXUAL, "침실로 부르"), i
        elif form == "옷고름" and present & {"푸", "풀"} and present & (BEDROOMS | MAIDS | NIGHTS):
            yield Hit(SEXUAL, "옷고름을 풀"), i


def _hate(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    if "피부" in present and present & SKIN_COLOURS and present & lex.SLIGHTS:
        yield Hit(HATE, "피부색+" + min(present & lex.SLIGHTS)), forms.index("피부")
    groups = present & (words.GROUPS | lex.NATIONS)
    if not groups and present & SEXES:
        yield from _statement(sentence, forms, SEXES)
    if not groups:
        return
    if present & LEAVES and any(f in ("어야", "아야", "라") for f in forms):
        yield Hit(HATE, min(groups) + "+나가야"), 0
    if "쓸모" in present and present & {"없", "없이"}:
        yield Hit(HATE, min(groups) + "+쓸모없"), 0
    if present & RULES and present & WORLDS:
        yield Hit(HATE, min(groups) + "+세상을 지배"), 0
    for i, form in enumerate(forms):
        if form in BEASTS and set(forms[i + 1 : i + 4]) & CALLS and present & words.GROUPS:
            yield Hit(HATE, f"{min(groups)}+{form}"), i
