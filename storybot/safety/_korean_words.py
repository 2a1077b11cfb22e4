"""What the Korean matcher looks for, as Kiwi analyses it (nouns by form, verbs by stem).

Every entry is a word that has no innocent reading in a request for a children's book, or is
paired with the context that makes it innocent (마약 + 김밥, 물 + 총). Verbs that are innocent
on their own (베다 a tree, 쏘다 an arrow, 찌르다 with a finger) are in `OBJECT_RULES` and
`INSTRUMENT_RULES`, which ask who or what they are done to, or with.
"""

from __future__ import annotations

import re

from storybot.safety._categories import (
    DRUGS,
    HATE,
    PROFANITY,
    SELF_HARM,
    SEXUAL,
    VIOLENCE,
    WEAPONS,
)


def _words(category: str, text: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), category)


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Nouns, interjections and adverbs (any tag but a verb's): form → category.
NOUNS: dict[str, str] = {
    **_words(
        VIOLENCE,
        "살인 살인범 살인마 살인자 살해 학살 대학살 살육 참수 고문 처형 총살 사살 교살 척살 도륙"
        " 도살 난도질 토막 토막살인 연쇄살인 살상 유혈 피바다 피범벅 칼부림 테러 테러리스트 테러범"
        " 폭행 집단폭행 구타 린치 학대 아동학대 동물학대 시체 시신 인신매매 총격 총격전 난사"
        " 총기난사 자살폭탄 킬러 암살 암살자 식인종 식인 생매장 패싸움 집단구타 묻지마폭행 피떡",
    ),
    **_words(
        WEAPONS,
        "총 총기 권총 소총 기관총 기관단총 저격총 엽총 산탄총 장총 폭탄 수류탄 폭발물 화염병 흉기"
        " 너클 가스총 전기충격기 사제총 사제폭탄 잭나이프 독가스 신경가스 사린 화학무기 생화학무기",
    ),
    **_words(
        SEXUAL,
        "섹스 성관계 성행위 성교 음란 음란물 포르노 야동 야설 강간 성폭행 성추행 성폭력 성희롱"
        " 알몸 나체 누드 성기 자위 섹시 매춘 성매매 창녀 창부 음부 젖꼭지 콘돔 오르가즘 에로"
        " 쎅스 쎅쓰 섹쓰 애무 구강성교 오럴 펠라 펠라치오 정액 몸캠 폰섹 발기 성인용품 바바리맨"
        " 노출증 노출광 원나잇 스와핑 원조교제 성매수 성착취 그루밍",
    ),
    **_words(
        DRUGS,
        "마약 마약쟁이 약쟁이 필로폰 히로뽕 대마 대마초 코카인 헤로인 메스암페타민 엑스터시"
        " 환각제 각성제 펜타닐 아편 마리화나 만취 술주정 주정뱅이 알코올중독 음주운전 고주망태"
        " 꽐라 곤드레만드레 물뽕 졸피뎀 프로포폴 케타민 엘에스디 떨쟁이 환각버섯",
    ),
    **_words(SELF_HARM, "자살 자해 투신 할복 자살시도 동반자살 리스트컷 리스컷 손목긋기"),
    **_words(
        HATE,
        "인종차별 나치 히틀러 홀로코스트 깜둥이 흑형 쪽바리 짱깨 짱개 조센징 똥남아 급식충"
        " 한남충 맘충 틀딱 틀딱충 김치녀 된장녀 개독 정박아 찐따 검둥이 쪽발이 니거 칭총 깜댕이"
        " 짱꼴라 흑돼지년 애자 니그로",
    ),
    **_words(
        PROFANITY,
        "씨발 시발 씨바 씨팔 시팔 씨벌 썅 병신 븅신 빙신 등신 개새끼 개새기 개색기 개색끼"
        " 개색히 개세끼 씹새끼 씹새 씹 좆 존나 졸라 존내 지랄 엠창 니미 니애미 느금마 미친놈"
        " 미친년 염병 육시랄 개자식 씨부랄 씨부럴 뻑큐 뻐큐 퍽큐 빠큐 빡큐",
    ),
}

# A refused noun with one of these after it, as one word Kiwi does not know (강간범, 마약상).
NOUN_SUFFIXES = _set("범 범들 자 마 상 꾼 쟁이 죄 범죄 물 씬 장면 영상 동영상 사진 사건 시도 미수")

# Spelled-out pieces that Kiwi returns as more than one token: (forms…) → category.
SEQUENCES: dict[tuple[str, ...], str] = {
    ("피", "투성이"): VIOLENCE,
    ("피", "범벅"): VIOLENCE,
    ("피", "바다"): VIOLENCE,
    ("인종", "차별"): HATE,
    ("인종", "혐오"): HATE,
    ("혐오", "발언"): HATE,
    ("극단", "적", "선택"): SELF_HARM,
    ("극단", "적", "이", "ᆫ", "선택"): SELF_HARM,
    ("폭음", "하"): DRUGS,
    ("야스", "하"): SEXUAL,
    ("성인", "용품"): SEXUAL,
    ("미치", "ᆫ", "놈"): PROFANITY,
    ("미치", "ᆫ", "년"): PROFANITY,
    ("미치", "ᆫ", "새끼"): PROFANITY,
    ("개", "새끼"): PROFANITY,
    ("음주", "운전"): DRUGS,
    ("알코올", "중독"): DRUGS,
    ("약물", "중독"): DRUGS,
    ("마약", "중독"): DRUGS,
    ("죽", "고", "싶"): SELF_HARM,
    ("엿", "먹", "어라"): PROFANITY,
    ("개", "같", "은", "년"): PROFANITY,
    ("개", "같", "은", "놈"): PROFANITY,
    ("본드", "흡입"): DRUGS,
    ("가스", "흡입"): DRUGS,
    ("19", "금"): SEXUAL,
    ("바바리", "맨"): SEXUAL,
}

# Verb and adjective stems that are never innocent: stem → category.
VERBS: dict[str, str] = {
    "죽이": VIOLENCE,
    "야하": SEXUAL,
    "목매": SELF_HARM,
    "목매달": SELF_HARM,
}

# Jamo shorthand, which Kiwi returns as one symbol token.
JAMO: dict[str, str] = {
    **_words(PROFANITY, "ㅅㅂ ㅆㅂ ㅄ ㅂㅅ ㅈㄴ ㅈㄹ ㄱㅅㄲ ㅅㄲ ㅆㄹㄱ ㅗ ㅗㅗ ㅗㅗㅗ"),
    "ㅅㅅ": SEXUAL,
}

# Inside any Korean word these can only be what they are, whatever Kiwi makes of a typo.
# (강간 is not here: 한강간다 is "going to the Han river".)
SUBSTRINGS: dict[str, str] = {
    **_words(VIOLENCE, "살인마 살인범 연쇄살인 토막살인 피투성이 피범벅 칼부림 칼빵 담배빵 피떡"),
    **_words(WEAPONS, "너클"),
    **_words(WEAPONS, "총기난사"),
    **_words(
        SEXUAL,
        "섹스 포르노 성폭행 성추행 19금 몰카 도촬 불법촬영 벗방 원나잇 조건만남 쎅스 쎅쓰 섹쓰"
        " 구강성교 몸캠 폰섹 야스하 원조교제",
    ),
    **_words(DRUGS, "필로폰 히로뽕 코카인 헤로인 대마초 마리화나 음주운전"),
    **_words(SELF_HARM, "자살시도 리스컷"),
    **_words(HATE, "깜둥이 쪽바리 조센징 짱깨 급식충 한남충 틀딱 똥남아"),
    **_words(
        PROFANITY,
        "씨발 씨팔 시팔 씨바 씨벌 개새끼 개새기 개색기 개색끼 씹새끼 좆 존나 병신 지랄 씌발 쓰발"
        " 쉬발 씨빨 쒸발 싀발 씨부랄 개쉐이 개쌔끼",
    ),
}
# Innocent words that contain a substring above.
SUBSTRING_EXCEPTIONS: tuple[str, ...] = ("병신년", "시발점", "시발역", "너클볼", "씨발라")

# Innocent neighbours: a hit followed (or preceded) by one of these is something else.
FOODS = _set(
    "김밥 떡볶이 옥수수 토스트 계란 달걀 베개 쿠션 치킨 라면 빵 소스 양념 간장 버터 감자 고구마"
    " 핫도그 만두 과자 쿠키 팝콘 주먹밥 국수 냉면 떡 치즈 닭강정 호떡 오징어 육포 요리 레시피"
    " 맛 김 밥 샌드위치 꼬마김밥 찜닭 족발 갈비 짜장 볶음밥 카레 샐러드 음식 메뉴 간식"
)
NEXT_EXCEPTIONS: dict[str, frozenset[str]] = {
    "마약": FOODS,
    "누드": FOODS | _set("톤 색 베이지 립 립스틱 메이크업 화장 네일"),
    "폭탄": _set("세일 할인 가격 특가 머리 선물 맞"),
    "자살": frozenset({"골"}),
    "대마": frozenset({"왕", "법사", "도", "마왕"}),
    "시발": frozenset({"점", "역", "택시"}),
    "발기": frozenset({"인", "인들"}),
    "살인": frozenset({"미소", "적"}),  # 살인 미소 (a killer smile), 살인적인 더위
    "킬러": _set("웨일 고래 비 벌 문항 콘텐츠 스마일 미소"),  # a killer whale, a killer bee
    "시체": frozenset({"놀이"}),
}
PREVIOUS_EXCEPTIONS: dict[str, frozenset[str]] = {
    "폭탄": _set(
        "물 웃음 방귀 사랑 칭찬 똥 눈 비타민 꽃가루 설탕 뽀뽀 질문 선물 물풍선 눈물 잔소리"
        " 간지럼 꽃 웃음꽃 애교"
    ),
    "총": _set("물 장난감 비비탄 레이저 광선 물감 눈 풍선 비눗방울 나무 고무줄 딱 종이 솜 거품 새"),
    "총기": frozenset({"장난감"}),
    "병신": frozenset({"년"}),  # 2016년 병신년: the year of the monkey, after a year
    "테러": _set("방귀 냄새 간지럼 뽀뽀 웃음"),
    "대마": frozenset({"대"}),
}
# Words that make a whole sentence a game ("총싸움 놀이", "장난감 총을 쏘는").
PLAY_WORDS = _set("놀이 장난감 물총 게임 비비탄 눈싸움 물놀이")
# 죽이다 with these as its object is holding breath or keeping quiet.
QUIET = _set("숨 소리 숨소리 발소리 목소리 기 기세")

PEOPLE = _set(
    "사람 엄마 아빠 어머니 아버지 할머니 할아버지 친구 아이 아기 동생 형 누나 언니 오빠 선생"
    " 선생님 왕 왕비 공주 왕자 병사 군인 학생 경찰 경찰관 이웃 가족 남자 여자 소년 소녀 아저씨"
    " 아줌마 어른 임금 신하 백성 주민 손님 적 적군 남편 아내 부모 자식 아들 딸 그 그녀 너 나"
    " 저 우리 자신 사람들 어린이 후배 선배 동료 짝꿍 손자 손녀 조카 삼촌 이모 고모"
)
ANIMALS = _set(
    "강아지 고양이 개 토끼 새 사슴 곰 호랑이 여우 닭 돼지 소 말 양 오리 다람쥐 동물 늑대 사자"
    " 코끼리 원숭이 고라니 멧돼지 새끼"
)
BLADES = _set(
    "칼 흉기 창 단검 검 비수 식칼 부엌칼 과도 송곳 나이프 작살 장검 도끼 커터칼 면도날 면도칼"
)
GUNS = _set("총 총기 권총 소총 기관총 엽총 산탄총 장총 저격총 기관단총")
STINGERS = _set("벌 꿀벌 말벌 모기 해파리 전갈 벌레 가오리")
# Adults who are not to be shown undressed (벌거벗은 임금님 and bath-time children are fine).
ADULTS = _set("여자 남자 누나 언니 아줌마 아저씨 선생 사람 여인 몸 소녀 소년 여성 남성")

# (verb stem, objects, category): the verb done to one of these objects.
OBJECT_RULES: tuple[tuple[str, frozenset[str], str], ...] = (
    ("베", PEOPLE | ANIMALS | {"목"}, VIOLENCE),
    ("자르", frozenset({"목"}), VIOLENCE),
    ("조르", frozenset({"목"}), VIOLENCE),
    ("찢", PEOPLE | ANIMALS, VIOLENCE),
    ("쏘", PEOPLE | ANIMALS, WEAPONS),
    ("긋", frozenset({"손목", "팔목", "팔"}), SELF_HARM),
    ("끊", frozenset({"목숨"}), SELF_HARM),
    ("매", frozenset({"목"}), SELF_HARM),
    ("매달", frozenset({"목"}), SELF_HARM),
    ("만지", _set("가슴 엉덩이 성기 젖 사타구니 음부"), SEXUAL),
    ("섞", frozenset({"몸"}), SEXUAL),
    ("휘두르", PEOPLE | ANIMALS, WEAPONS),
    ("불태우", PEOPLE | ANIMALS, VIOLENCE),
)
# (verbs, instruments anywhere in the sentence, category).
INSTRUMENT_RULES: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (_set("찌르 찔리 쑤시 위협 협박"), BLADES | GUNS, WEAPONS),
    (frozenset({"쏘", "겨누", "난사"}), GUNS, WEAPONS),
)
# Drunken violence: drink and a blow in one sentence.
DRINK = _set("술 소주 맥주 와인 막걸리 양주 만취 취하 술주정 주정")
BLOWS = _set("때리 패 두들기 싸우 행패 폭력 폭행 부수 던지 차 운전")
# A blow that draws blood or knocks someone out is violence, drunk or not.
HITS = _set("때리 패 두들기 두드려패 걷어차")
WOUNDS = _set("피 멍 기절 쓰러지 피투성이")
# Children drinking or smoking.
CHILDREN = _set("아이 어린이 초등학생 유치원생 아기 꼬마 아이들 학생")
SUBSTANCES = _set("술 소주 맥주 와인 막걸리 양주 담배")
# Groups and what is said of them, for hate without slurs ("흑인은 더러워").
GROUPS = _set(
    "흑인 백인 황인 중국인 일본인 조선족 동남아 외국인 장애인 동성애자 동성애 게이 레즈비언"
    " 트랜스젠더 무슬림 유대인 이슬람 난민"
    " 이민자 다문화"
)
SLIGHTS = _set(
    "더럽 나쁘 싫 열등 미개 멍청하 못생기 역겹 쫓아내 없애 죽 바보 멍청이 병 싫어하 미워하 혐오"
)

# Acts read in a whole sentence (`_korean_rules`).
# Self-harm: a jump from a height, unless it is play, a landing or a rescue.
JUMPS = _set("뛰어내리 투신")
HEIGHTS = _set(
    "옥상 아파트 건물 빌딩 고층 고층빌딩 다리 한강 육교 절벽 낭떠러지 벼랑 철교 대교 난간 낙화암"
)
SAFE_JUMPS = _set(
    "낙하산 다이빙 다이빙대 번지 번지점프 수영장 트램펄린 놀이 놀 착지 그네 미끄럼틀 물놀이 연못"
    " 침대 매트 스키 파도 소파 구하 구조 뜀틀 점프 계곡 모래 날 날개 망토 슈퍼맨 히어로"
)
# Where a height is: 다리에서, 다리 위, 빌딩 꼭대기 (다리 alone may be a leg).
ON_TOP = _set("에서 위 꼭대기 난간 끝 창문")
# Throwing oneself (몸을 던지다) into these, or falling or leaping with a wish to die.
PLUNGES = _set("강 강물 바다 바닷물 호수 저수지 기차 열차 지하철 선로 철길 기찻길 차")
FALLS = _set("떨어지 뛰어들 빠지 던지 뛰어내리")
# An overdose: pills swallowed by the handful.
PILLS = _set("수면제 약 알약 진통제 약물 안정제 신경안정제 독약 농약 수면유도제 해열제 감기약")
SWALLOWS = _set("먹 삼키 털 넣 마시 들이키 털어넣")
HANDFULS = _set("움큼 한꺼번에 잔뜩 통째 몽땅 전부 왕창 병째 한가득 수십 수백 모조리")
FUMES = _set("번개탄 연탄")
SHUT_IN = _set("차 방 문 밀폐 창문 자동차 텐트")
SELF = _set("일부러 스스로 자기 자신")
WOUND_MARKS = _set("상처 칼자국 흉터 화상")
# Drugs: smoking (any smoker in a picture book), drinking till one drops.
SMOKES = _set(
    "담배 전자담배 시가 궐련 시가렛 파이프 물담배 곰방대 담뱃대 베이프 액상 꽁초 엽궐련 대마초"
)
SMOKE_VERBS = _set("피우 피 물 빨 뻐끔거리 권하 건네 먹이 팔 주 태우 붙이 꼬나물 꼬나무 물리")
# A tobacco word inside a compound Kiwi keeps whole (담배꽁초, 줄담배, 담뱃불).
TOBACCO = re.compile("담배|담뱃|꽁초|궐련|곰방대|물부리|시가렛")
# Smoking as an act on its own (줄담배 피우는, 골초) and the puffs that show it.
SMOKING = _set("줄담배 골초 흡연 애연가 흡연자 간접흡연 담배질 맞담배")
PUFFS = _set("연기 뻐끔 뻐끔뻐끔 뻑뻑 뻐끔거리")
# Said against smoking: 끊다, 금연, 나쁘다, 피우지 말다 (말 as a verb), 안/못 피우다.
NO_SMOKING = _set(
    "끊 금연 나쁘 해롭 싫 그만 건강 싫어하 끊기 예방 금지 반대 위험 경고 피해 줄이 금주 절주"
)
NOT = _set("말/VX 안/MAG 못/MAG")
ERAS = _set("시절 옛날 적 때 시대")
ALCOHOL = _set(
    "술 소주 맥주 와인 막걸리 양주 보드카 위스키 샴페인 폭탄주 술판 술자리 회식 술잔치 고량주"
    " 데킬라 포도주 청주 약주 술병 술잔 만취"
)
COLLAPSES = _set(
    "쓰러지 기절 뻗 곯아떨어지 실신 떡실신 인사불성 토하 구토 휘청거리 비틀거리 고꾸라지"
    " 널브러지 오바이트"
)
FILM = _set("영화 영화관 영사기 극장 카메라 사진 사진기 필름카메라 사진관")
INHALANTS = _set("본드 가스 부탄가스 신나 시너")
SNIFFS = _set("불 흡입 마시 맡 들이마시")
MINORS = CHILDREN | _set("유치원생 중학생 중학 고등학생 청소년 미성년자 손자 손녀")
POURS = _set("마시 먹이 권하 주 건네 팔 먹")
# Burnt, buried or boiled alive (산 채로).
ALIVE = _set("불태우 태우 묻 삶 굽 찌 파묻 요리 튀기 끓이 볶 익히")
# Sexual acts in plain words.
BED = _set("가지 갖 하 같이하 함께하")
RICE_CAKE = _set("떡메 떡방아 방아 인절미 잔치 떡메치기 쌀 명절 추석 설날 떡집 절구")
STRANGERS = _set("아저씨 낯선 남자 어른 선생님 선생 삼촌 아줌마 서로 연인")
CLOTHES = _set("옷 바지 팬티 속옷 치마 윗옷 웃옷")
UNDERWEAR = _set("바지 팬티 속옷")
BATH = _set("목욕 씻 갈아입 잠옷 기저귀 수영복 수영 물놀이 젖 빨래 세탁 목욕탕 옷장 병원 진찰")
WRISTS = _set("손목 팔목")
CUTS = _set("대 긋 그 베")
