"""The words `_korean_acts` reads, by kind (see that module for what each rule does)."""

from __future__ import annotations

import storybot.safety._korean_words as words


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- Sexual ---------------------------------------------------------------------------------
# Partners who make 자다 sexual; family and friends do not (엄마랑 자는 아기).
PARTNERS = _set(
    "아저씨 아줌마 남자 여자 남자친구 여자친구 남친 여친 애인 연인 내연녀 내연남 정부 유부녀"
    " 유부남 하녀 하인 시녀 비서 과부 창녀 여인 사내 총각 처녀 아가씨 부인 남정네"
)
# Partners who are lovers whoever sleeps by them (an animal may nap beside a man).
LOVERS = _set(
    "남자친구 여자친구 남친 여친 애인 연인 내연녀 내연남 정부 유부녀 유부남 하녀 창녀 비서"
)
STRANGE = _set("모르 낯설 낯선 처음 보")  # 모르는 사람, 낯선 사람
WITH = _set("와 과 랑 이랑 하고")
SLEEPS = _set("자 잠들 동침 잠자리 하룻밤")
DRAGONFLY = _set("잡 채집 날개 잠자리채 날 날아가 날아오 관찰 곤충 고추잠자리 앉")
COUPLES = _set("커플 부부 신혼 신랑 신부 연인 애인 남녀 신혼부부 모텔 러브호텔")
TRIPS = _set("캠프 여행 캠핑 학교 수련회 입학 방학 이사 유치원 기숙사 병원 새집 야영 전학 학기")
BODY = _set("몸 가슴 엉덩이 허벅지 치마 속옷 사타구니 젖 성기 음부 젖가슴 팬티")
BARED = _set("가슴 젖가슴 성기 음부 알몸 속살 맨가슴 젖 거시기 맨살")
BARES = _set("드러내 보이 보여주 내놓 까 노출 내밀 자랑하")
PANTS = _set("바지 팬티 속옷 치마")
SEASONS = _set("철 계절 시기 놀이 게임 춤 노래 댄스 소리 울음소리 구애")
MATING_SEEN = _set("장면 모습 자세히 영상 하 관찰 사진")
# Peeping at someone bathing or changing, or up a skirt.
PEEPS = _set("훔쳐보 엿보 몰래보")
PEEPED = _set("목욕 샤워 탈의실 화장실 치마 갈아입 속옷 알몸 여탕 남탕 목욕탕")
SECRETLY = _set("몰래 비밀 억지로 강제로")
AFFAIRS = _set("불륜 외도 내연 내연녀 내연남 불륜녀 불륜남 바람나 정사 동침 흘레 교미")
HISTORY = _set("역사 조선 삼국 고려 왕조 야사 실록")
# --- Self-harm ------------------------------------------------------------------------------
LIVES = _set("생 삶 인생 목숨 생명")
ENDS = _set("끝내 끊 포기 버리 그만두")
RAILS = _set("선로 철로 철길 기찻길 레일 철도 찻길")
TRAINS = _set("기차 열차 지하철 전철 기찻길 선로 철길")
LIES = _set("눕 드러눕 엎드리 뛰어들 뛰어내리")
ROPES = _set("밧줄 올가미 노끈 끈 줄 전깃줄 동아줄 빨랫줄")
ROPED = _set("감 걸 두르 매 매달 조이 조르 묶 씌우")
LEASHES = _set("산책 목줄 방울 목걸이 메달 이름표 리드줄 목도리 스카프 동아줄 줄넘기")
METHODS = words.HEIGHTS | words.PLUNGES | RAILS | ROPES | words.BLADES | words.PILLS
SWALLOWED = _set("삼키 먹 털어넣 들이키 털 먹어치우")
CONTAINERS = _set("통 병 약통 약병 봉지 약봉지 상자 약상자 갑 통째")
ALL = _set("다 모두 전부 몽땅 모조리 남김없이")
NEGATIONS = _set("않 말 안 못")
LIMBS = _set("몸 팔 손목 팔목 허벅지 다리 손등 배 가슴 목 얼굴")
# Drunk as poison: a way to die, never a medicine.
POISONS = _set("농약 독약 락스 제초제 표백제 살충제 청산가리 독극물")
# --- Drugs ----------------------------------------------------------------------------------
DRINKS = _set("마시 들이키 들이켜 홀짝이 홀짝거리 원샷 벌컥벌컥 마셔 취하")
INTO = _set("넣 타 섞 붓 따르 채우 담 주 먹이 권하 건네")
BABY_THINGS = _set("젖병 분유 우유병 이유식 유아식 젖꼭지")
KIDS = words.MINORS | _set("소녀 소년 아들 딸 어린애 애기 아가 꼬맹이 동생 조카 막내")
MORE_ANIMALS = _set(
    "비둘기 개구리 펭귄 부엉이 올빼미 까마귀 까치 참새 두더지 너구리 고슴도치 하마 기린 얼룩말"
    " 판다 코알라 캥거루 악어 거북이 거북 뱀 쥐 생쥐 햄스터 공룡 고래 상어 문어 병아리 거위 백조"
    " 두루미 곰돌이 냥이 멍멍이 염소 당나귀 낙타 수달 해달 물개 족제비 박쥐 앵무새 독수리 부엉"
    " 돌고래 나비 벌 개미 달팽이 고릴라 침팬지 표범 치타 하이에나 라쿤 스컹크 여우 늑대 곰 토끼"
)
ANIMALS = words.ANIMALS | MORE_ANIMALS
# --- Violence -------------------------------------------------------------------------------
STOMPS = _set("밟 짓밟 걷어차 짓이기 짓뭉개")
CHOPS = _set("썰 써 토막내 조각내 다지 자르 난도질 동강내 토막치")
FOODS = _set("닭 오리 생선 물고기 오징어 문어 새우 게 소 돼지 말 고기 양 개미 벌레")
BOILS = _set("삶 끓이 튀기")
DRAGONS = _set("용 드래곤 불용 화룡 이무기 괴물")
ACIDS = _set("염산 황산 화학약품 독극물")
DONE_TO = STOMPS | CHOPS | BOILS | _set("차 지르 비틀 뿌리 던지")
# A blade carried to school is a weapon; a cooking class is not.
SCHOOLS = _set("학교 교실 유치원 학원")
CARRIES = _set("들 가져가 가져오 숨기 챙기 품 꺼내 휘두르")
KITCHEN = _set("요리 요리사 조리 급식실 과일 수업 실습")
# --- Hate -----------------------------------------------------------------------------------
NATIONS = _set(
    "멕시코 중국 일본 미국 베트남 필리핀 인도 태국 아프리카 러시아 북한 아랍 파키스탄 방글라데시"
    " 몽골 캄보디아 인도네시아 우즈베키스탄 네팔 스리랑카 나이지리아 유럽 이란 이라크 시리아"
    " 터키 튀르키예 미얀마 라오스 조선 흑 백 황 유대 집시 아시아 동남아 중동 이슬람 외국 이주"
)
PEOPLES = _set("인 사람 족 놈 애 애들 사람들 인들 년 노동자 민족 계")
SLIGHTS = words.SLIGHTS | _set(
    "냄새나 냄새 게으르 도둑 범죄자 벌레 쓰레기 야만 짐승 바퀴벌레 무식하 위험하 시끄럽 추하"
    " 징그럽 열등하 미개하 더럽히 꺼지 사라지 거지 원숭이 개 개돼지 세균 병균 더러운 냄새나는"
    " 거짓말쟁이 사기꾼 기생충 멍청"
)

# Words without one of which a kind's rules cannot match (see `_korean_acts.acts`).
FIRST = _set("첫날밤 첫 첫날")
SEXUAL_CUES = (
    SLEEPS | AFFAIRS | BARES | PEEPS | FIRST | _set("밤 뜨겁 바람 더듬 만지 내리 까 들추 짝짓기")
)
SELF_HARM_CUES = LIVES | METHODS | RAILS | TRAINS | SWALLOWED | POISONS | _set("끝내 살 목 내 긋")
VIOLENCE_CUES = DONE_TO | words.BLADES
