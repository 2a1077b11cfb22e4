"""The page screen on model output: ordinary children's prose passes, an unsafe page does not.

The stories are written the way the story LLM writes them (five pages, Korean or English text,
an English image prompt each), including the classic tales whose villains eat, chase and fall.
"""

from __future__ import annotations

import pytest

from storybot.models import Page, Story
from storybot.safety import PAGE_REFUSAL_EN, PAGE_REFUSAL_KO, screen_page, screen_story

STYLE = "watercolor, soft colours, "

STORIES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "palace friendship": (
        "ko",
        [
            ("궁궐의 두 친구", STYLE + "a small tiger and a white rabbit in a palace garden"),
            (
                "조선시대 어느 봄날, 궁궐 연못가에 꼬마 호랑이 범이가 살았어요. 범이는 힘이 "
                "세지만 늘 혼자였어요. 어느 날 하얀 토끼 솜이가 담장 밑으로 쏙 들어왔어요.",
                STYLE + "a small orange tiger cub alone by a lotus pond, palace roofs behind",
            ),
            (
                '솜이는 깜짝 놀라 숨을 죽이고 바위 뒤에 숨었어요. "무서워하지 마, 나는 친구가 '
                '필요할 뿐이야." 범이가 꼬리를 살랑살랑 흔들며 말했어요.',
                STYLE + "a white rabbit peeking from behind a rock at a gentle tiger cub",
            ),
            (
                "둘은 함께 궁궐 마당에서 제기차기를 하고, 수라간에서 떡 냄새를 맡으며 깔깔 "
                "웃었어요. 임금님도 창문 너머로 그 모습을 보고 빙그레 웃으셨어요.",
                STYLE + "a tiger cub and a rabbit playing with a shuttlecock in a palace yard",
            ),
            (
                '그날 밤 둘은 별이 총총 뜬 하늘을 보며 약속했어요. "우리는 언제까지나 '
                '친구야!" 진정한 우정은 서로를 믿는 마음에서 시작된답니다.',
                STYLE + "a tiger cub and a rabbit looking at a starry night sky on palace steps",
            ),
        ],
    ),
    "three little pigs (ko)": (
        "ko",
        [
            ("아기 돼지 삼형제", STYLE + "three little pigs waving in front of a brick house"),
            (
                "엄마 돼지의 품을 떠난 아기 돼지 삼형제는 각자 집을 짓기로 했어요. 첫째는 "
                "지푸라기로, 둘째는 나무를 베어 나무집을, 막내는 벽돌로 집을 지었어요.",
                STYLE + "three little pigs building houses of straw, sticks and bricks",
            ),
            (
                '배고픈 늑대가 찾아와 "후우 후우" 입김을 불자 지푸라기 집과 나무 집이 '
                "날아가 버렸어요. 첫째와 둘째는 허겁지겁 막내의 집으로 도망쳤어요.",
                STYLE + "a big grey wolf huffing and puffing, straw flying in the wind",
            ),
            (
                "늑대는 아무리 불어도 벽돌집을 무너뜨릴 수 없었어요. 굴뚝으로 몰래 내려오던 "
                "늑대는 뜨거운 솥에 엉덩이를 데고 깜짝 놀라 숲으로 도망갔어요.",
                STYLE + "a surprised wolf jumping out of a chimney, three pigs cheering",
            ),
            (
                "삼형제는 서로 꼭 안아 주었어요. 튼튼한 집처럼, 부지런하고 서로 돕는 마음이 "
                "우리를 지켜 준답니다.",
                STYLE + "three little pigs hugging inside a cosy brick house by the fire",
            ),
        ],
    ),
    "sun and moon": (
        "ko",
        [
            ("해와 달이 된 오누이", STYLE + "a boy and a girl holding hands under the sun"),
            (
                "옛날 옛적 산골 마을에 엄마와 오누이가 살았어요. 엄마는 고개 너머 잔칫집에서 "
                "일을 하고 떡을 받아 돌아오고 있었어요.",
                STYLE + "a mother in hanbok carrying rice cakes over a mountain path at dusk",
            ),
            (
                '고개마다 호랑이가 나타나 "떡 하나 주면 안 잡아먹지!" 하고 말했어요. 떡이 '
                "다 떨어지자 호랑이는 엄마를 잡아먹고, 엄마 옷을 입고 오누이의 집으로 갔어요.",
                STYLE + "a big striped tiger on a mountain pass asking for rice cakes",
            ),
            (
                "오누이는 문틈으로 털북숭이 손을 보고 호랑이인 줄 알아챘어요. 둘은 뒷마당 "
                '나무 위로 올라가 하늘에 빌었어요. "하느님, 저희를 살려 주시려면 튼튼한 '
                '동아줄을 내려 주세요."',
                STYLE + "a brother and sister in a tall tree praying to the sky, a tiger below",
            ),
            (
                "하늘에서 내려온 동아줄을 타고 오누이는 하늘로 올라가 해와 달이 되었어요. "
                "썩은 동아줄을 잡은 호랑이는 수수밭에 떨어지고 말았답니다.",
                STYLE + "a boy shining as the sun and a girl glowing as the moon in the sky",
            ),
        ],
    ),
    "red riding hood (ko)": (
        "ko",
        [
            ("빨간 모자", STYLE + "a little girl in a red hood with a basket in a forest"),
            (
                "빨간 모자를 쓴 소녀는 아픈 할머니께 빵과 포도주를 가져다드리러 숲길을 "
                '걸었어요. 엄마는 "길에서 벗어나면 안 돼" 하고 당부했어요.',
                STYLE + "a girl in a red hood walking on a forest path, flowers along the way",
            ),
            (
                "꾀 많은 늑대가 먼저 할머니 댁에 가서 할머니를 꿀꺽 삼켜 버렸어요. 그리고 "
                "할머니 잠옷을 입고 침대에 누워 소녀를 기다렸어요.",
                STYLE + "a wolf wearing a nightcap lying in a bed in a small cottage",
            ),
            (
                '"할머니, 입이 왜 이렇게 커요?" "너를 잡아먹으려고 그렇지!" 그때 지나가던 '
                "사냥꾼 아저씨가 소리를 듣고 달려와 늑대를 혼내 주고 할머니를 구했어요.",
                STYLE + "a kind woodcutter bursting into a cottage, a wolf running away",
            ),
            (
                "할머니와 소녀는 서로 꼭 껴안았어요. 소녀는 다시는 낯선 사람의 말을 듣고 "
                "길을 벗어나지 않겠다고 약속했답니다.",
                STYLE + "a grandmother hugging a girl in a red hood, sunlight in the window",
            ),
        ],
    ),
    "lump old man": (
        "ko",
        [
            ("혹부리 영감", STYLE + "a kind old man with a lump on his cheek, goblins dancing"),
            (
                "옛날에 볼에 커다란 혹이 달린 착한 할아버지가 살았어요. 나무를 하러 산에 "
                "갔다가 날이 저물어 빈집에서 하룻밤을 묵게 되었어요.",
                STYLE + "an old man with a bundle of firewood at an empty hut at night",
            ),
            (
                '할아버지가 심심해서 노래를 부르자 도깨비들이 몰려왔어요. "그 고운 노래는 '
                '어디서 나오나요?" "이 혹에서 나오지요."',
                STYLE + "friendly horned goblins with clubs listening to an old man singing",
            ),
            (
                "도깨비들은 도깨비방망이로 보물을 잔뜩 주고 혹을 떼어 갔어요. 욕심쟁이 "
                "이웃 할아버지가 흉내를 내다가 혹을 하나 더 붙이고 돌아왔답니다.",
                STYLE + "goblins giving treasure to an old man, a greedy neighbour with two lumps",
            ),
            (
                "착한 마음은 복을 부르고, 욕심은 화를 부른다는 이야기랍니다.",
                STYLE + "a smiling old man without a lump walking home under the moon",
            ),
        ],
    ),
    "water fight and a little knight": (
        "ko",
        [
            ("여름날 물총놀이", STYLE + "children with water guns in a sunny backyard"),
            (
                "무더운 여름날, 지우와 친구들은 마당에서 물총놀이를 했어요. 물총을 쏘며 "
                "깔깔 웃다 보니 모두 흠뻑 젖었어요.",
                STYLE + "children laughing and splashing with water guns",
            ),
            (
                '막내 하늘이는 장난감 칼을 든 꼬마 기사가 되어 "내가 무서운 용을 물리치겠다!" '
                '하고 외쳤어요. 용 역할을 맡은 아빠가 "으아, 졌다!" 하며 쓰러졌어요.',
                STYLE + "a small boy with a toy sword and a dad in a green dragon costume",
            ),
            (
                "엄마가 수박을 잘라 오자 모두 평상에 둘러앉았어요. 씨를 퉤퉤 뱉으며 누가 "
                "멀리 보내나 시합도 했어요.",
                STYLE + "a family eating watermelon slices on a wooden bench",
            ),
            (
                "해가 지자 아이들은 별똥별을 보며 소원을 빌었어요. 내일도 오늘처럼 신나게 "
                "놀게 해 주세요!",
                STYLE + "children watching a shooting star in the summer night sky",
            ),
        ],
    ),
}

STORIES_EN: dict[str, list[tuple[str, str]]] = {
    "three little pigs (en)": [
        ("The Three Little Pigs", STYLE + "three little pigs in front of a brick house"),
        (
            "Three little pigs set off to build their own homes. The first used straw, the "
            "second used sticks, and the third worked hard with bricks.",
            STYLE + "three pigs carrying straw, sticks and bricks along a country lane",
        ),
        (
            "Along came the big bad wolf. \"I'll huff and I'll puff and I'll blow your house "
            'down!" he shouted, and down went the straw house and the stick house.',
            STYLE + "a big grey wolf blowing down a house of sticks, two pigs running away",
        ),
        (
            "But the brick house stood strong. The wolf slid down the chimney, landed in a pot "
            "of hot water with a yelp, and ran off into the woods, never to return.",
            STYLE + "a startled wolf leaping out of a chimney, three pigs cheering inside",
        ),
        (
            "The three brothers shared a warm supper together. Hard work and helping each "
            "other kept them safe.",
            STYLE + "three little pigs eating soup together by a crackling fireplace",
        ),
    ],
    "red riding hood (en)": [
        ("Little Red Riding Hood", STYLE + "a girl in a red cloak with a basket in the woods"),
        (
            "Little Red Riding Hood skipped through the forest with a basket of cake for her "
            "grandmother, who was ill in bed.",
            STYLE + "a girl in a red cloak skipping along a sunny forest path",
        ),
        (
            "A sly wolf raced ahead, gobbled up Grandma in one big gulp, and climbed into her "
            "bed wearing her nightcap.",
            STYLE + "a wolf in a frilly nightcap hiding under a patchwork quilt",
        ),
        (
            '"What big teeth you have!" "All the better to eat you with!" Just then a '
            "woodcutter heard the noise, chased the wolf away and Grandma was safe and sound.",
            STYLE + "a kind woodcutter at a cottage door, a wolf running into the trees",
        ),
        (
            "Grandma, Red and the woodcutter shared the cake. Red promised to stay on the path "
            "from now on.",
            STYLE + "a grandmother, a girl in a red cloak and a woodcutter having tea",
        ),
    ],
    "knight and dragon": [
        ("The Knight Who Was Afraid", STYLE + "a small knight and a big friendly dragon"),
        (
            "Sir Pip was the smallest knight in the kingdom, and his sword was made of wood. "
            "Everyone said a fierce dragon lived on the mountain.",
            STYLE + "a tiny knight with a wooden sword looking up at a misty mountain",
        ),
        (
            "Sir Pip climbed all day. At the top he found the dragon crying, because a thorn was "
            "stuck in its paw and nobody had ever been brave enough to help.",
            STYLE + "a big green dragon with teary eyes holding up a sore paw",
        ),
        (
            "Sir Pip pulled out the thorn and the dragon sneezed a happy puff of smoke. "
            '"Thank you, little knight. Will you be my friend?"',
            STYLE + "a small knight pulling a thorn from a dragon's paw, smoke puffs",
        ),
        (
            "From that day the dragon gave the children rides over the castle. Being brave "
            "sometimes means being kind.",
            STYLE + "children riding on a friendly dragon flying over a castle at sunset",
        ),
    ],
    "goodbye grandpa": [
        ("Grandpa's Garden", STYLE + "a girl and her grandfather planting sunflowers"),
        (
            "Mia and Grandpa grew sunflowers every summer. He taught her how seeds sleep in the "
            "ground before they wake up.",
            STYLE + "an old man and a little girl planting seeds in a sunny garden",
        ),
        (
            "One autumn Grandpa became very ill, and one quiet morning he died. Mia cried and "
            "cried, and her mum held her close.",
            STYLE + "a mother hugging a sad little girl by a rainy window",
        ),
        (
            "In spring Mia found tiny green shoots where Grandpa's seeds had been. She watered "
            "them every day, just as he had shown her.",
            STYLE + "a little girl watering small green sprouts in a garden",
        ),
        (
            "When the sunflowers opened, Mia smiled. Grandpa's love was still growing all "
            "around her.",
            STYLE + "a smiling girl among tall bright sunflowers under a blue sky",
        ),
    ],
}


# Sentences from children's books that come near a refused word and are innocent.
PROSE = [
    "술래잡기를 하며 놀았어요.",
    "형이 동생을 때려서 엄마에게 혼났어요. 둘은 서로 사과했어요.",
    "늑대는 배가 고파 아기 양을 잡아먹으려고 했어요.",
    "주몽은 활을 쏘아 하늘 높이 날아가는 새를 맞혔어요.",
    "엄마는 부엌칼로 당근을 썰었어요.",
    "병아리가 죽어서 마당에 묻어 주었어요.",
    "곰은 꿀을 먹다가 벌에게 쏘였어요.",
    "장군은 칼을 높이 들고 병사들을 이끌었어요.",
    "해적들은 대포를 쏘며 보물섬으로 향했어요.",
    "피가 조금 났지만 반창고를 붙이니 괜찮아졌어요.",
    "할아버지는 막걸리 한 잔에 기분이 좋아지셨어요.",
    "아기 곰은 목욕을 하려고 옷을 벗었어요.",
    "엄마의 잔소리 폭탄이 쏟아졌어요.",
    "총 세 마리의 병아리가 태어났어요.",
    "마을 총각이 선녀를 만났어요.",
    "선비는 활을 쏘아 구렁이를 물리쳤어요.",
    "우리 한강간다! 아이들이 신나게 외쳤어요.",
    "The wolf gobbled up the grandmother and climbed into bed.",
    "Gretel pushed the witch into the oven and ran home with Hansel.",
    "Snow White bit the poisoned apple and fell into a deep sleep.",
    "She shot the ball into the hoop and everybody cheered.",
    "The archer shot an arrow into the bullseye.",
    "Mia got her flu shot and was very brave.",
    "The bees buzzed around the hive and stung the bear on the nose.",
    "Fireworks exploded over the castle.",
    "The two brothers fought over the last cookie.",
    "The teacher said hitting is never okay.",
    "Grandpa died peacefully in his sleep.",
]


@pytest.mark.parametrize("sentence", PROSE)
def test_innocent_prose_near_refused_words_passes(sentence: str) -> None:
    assert screen_page(sentence, "watercolor, a children's book page").allowed


def _all_pages() -> list[tuple[str, str, str, str]]:
    pages = []
    for name, (language, story) in STORIES.items():
        pages += [(name, language, text, prompt) for text, prompt in story]
    for name, story in STORIES_EN.items():
        pages += [(name, "en", text, prompt) for text, prompt in story]
    return pages


@pytest.mark.parametrize(("name", "language", "text", "prompt"), _all_pages())
def test_ordinary_story_pages_pass(name: str, language: str, text: str, prompt: str) -> None:
    verdict = screen_page(text, prompt, language)
    assert verdict.allowed, (name, text, verdict)


def _story(pages: list[tuple[str, str]]) -> Story:
    return Story(
        title=pages[0][0],
        character_sheet="a small orange tiger cub with a blue vest; a white rabbit",
        pages=[Page(page=n, text=t, image_prompt=p) for n, (t, p) in enumerate(pages)],
    )


def test_a_whole_story_passes() -> None:
    assert screen_story(_story(STORIES["sun and moon"][1]), "ko").allowed
    assert screen_story(_story(STORIES_EN["knight and dragon"]), "en").allowed


@pytest.mark.parametrize(
    ("text", "prompt", "category"),
    [
        ("호랑이는 칼로 토끼를 찔렀어요. 피가 흘렀어요.", STYLE + "a tiger", "weapons"),
        ("늑대는 돼지들을 모두 죽였어요.", STYLE + "a wolf and three pigs", "violence"),
        ("토끼는 숲에서 마약을 팔았어요.", STYLE + "a rabbit in a forest", "drugs"),
        ("아름다운 궁궐이었어요.", STYLE + "a naked woman in a palace", "sexual"),
        ("The fox stabbed the hen.", STYLE + "a fox and a hen", "violence"),
        ("The pigs were happy.", STYLE + "a pig holding a bloody knife, gore", "violence"),
        ("씨발, 늑대가 말했어요.", STYLE + "a wolf", "profanity"),
    ],
)
def test_an_unsafe_page_is_refused(text: str, prompt: str, category: str) -> None:
    verdict = screen_page(text, prompt, "ko")
    assert not verdict.allowed and verdict.category == category
    assert verdict.message == PAGE_REFUSAL_KO


def test_a_refused_page_speaks_the_books_language() -> None:
    assert screen_page("He shot the deer.", "a hunter", "en").message == PAGE_REFUSAL_EN
    unsafe = _story([*STORIES_EN["knight and dragon"][:4], ("The knight killed him.", "a knight")])
    assert not screen_story(unsafe, "en").allowed
