"""Hand-written stories that pass (or, edited, fail) validation, and realistic model answers."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from storybot.models import StoryRequest

KO_STORY: dict[str, Any] = {
    "title": "호랑이와 토끼의 우정",
    "character_sheet": (
        "tiger: a big friendly orange tiger with black stripes, wearing a blue hanbok vest; "
        "rabbit: a small white rabbit with long ears and a pink ribbon"
    ),
    "pages": [
        {
            "page": 0,
            "text": "궁궐에 사는 호랑이와 토끼의 따뜻한 이야기",
            "image_prompt": "a big orange tiger in a blue vest and a small white rabbit with a "
            "pink ribbon smiling in front of a Joseon palace gate, warm morning light",
        },
        {
            "page": 1,
            "text": "옛날 조선의 궁궐에 커다란 호랑이가 살았어요. 호랑이는 늘 혼자였답니다.",
            "image_prompt": "a big orange tiger in a blue vest sitting alone in a palace garden, "
            "quiet and a little sad",
        },
        {
            "page": 2,
            "text": "어느 날 작은 토끼가 궁궐 연못에 빠졌어요. "
            "호랑이가 얼른 달려가 토끼를 구했어요.",
            "image_prompt": "a big orange tiger lifting a small white rabbit with a pink ribbon "
            "out of a lotus pond, splashing water, brave",
        },
        {
            "page": 3,
            "text": "토끼는 호랑이에게 고맙다고 말했어요. 둘은 함께 꽃길을 걸었어요.",
            "image_prompt": "a small white rabbit and a big orange tiger walking together on a "
            "flower path inside the palace, happy",
        },
        {
            "page": 4,
            "text": "그날부터 호랑이와 토끼는 가장 친한 친구가 되었어요. "
            "궁궐에는 웃음소리가 가득했답니다.",
            "image_prompt": "a big orange tiger and a small white rabbit laughing under a "
            "blossoming tree in a palace courtyard, sunset, joyful",
        },
    ],
}

EN_STORY: dict[str, Any] = {
    "title": "Mia and the Moon Lantern",
    "character_sheet": "a small girl with black braids, a yellow raincoat and red boots",
    "pages": [
        {
            "page": 0,
            "text": "A lantern, a girl and a brave night.",
            "image_prompt": "a small girl with black braids in a yellow raincoat holding a lantern",
        },
        {
            "page": 1,
            "text": "Once there was a girl called Mia. She lived by the sea.",
            "image_prompt": "a small girl in a yellow raincoat on a beach at dusk",
        },
        {
            "page": 2,
            "text": "One night the lighthouse went dark. Mia took her lantern.",
            "image_prompt": "a small girl with a lantern walking to a dark lighthouse",
        },
        {
            "page": 3,
            "text": "She climbed the stairs. The lantern lit the sea again.",
            "image_prompt": "a small girl at the top of a lighthouse, lantern glowing",
        },
        {
            "page": 4,
            "text": "The boats came home safe. Everyone cheered for Mia.",
            "image_prompt": "fishing boats returning to a harbour under a glowing lighthouse",
        },
    ],
}


def story(language: str = "ko", **changes: Any) -> dict[str, Any]:
    """A deep copy of the sample story, with top-level `changes` applied."""
    data = copy.deepcopy(KO_STORY if language == "ko" else EN_STORY)
    data.update(changes)
    return data


def with_page(data: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    """`data` with page `index` changed."""
    data = copy.deepcopy(data)
    data["pages"][index].update(changes)
    return data


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


# Stories written the way real 7B instruct models write them (Qwen2.5, EXAONE, Gemma at 7-9B):
# title case, places and festivals capitalised mid-sentence, Korean settings named in English
# prompts, curly quotes, ellipses, an emoji, trailing spaces, and a name slipped into a prompt.
# Each must be accepted on the first attempt, its slipped names described instead.


@dataclass(frozen=True)
class Sample:
    """A realistic answer, what it answers, and what the repair must do to it."""

    request: StoryRequest
    data: dict[str, Any]
    slipped: tuple[str, ...] = ()  # names in its image prompts that must be described instead
    kept: tuple[str, ...] = ()  # proper nouns in its image prompts that must stay

    def content(self) -> str:
        """The answer as a model streams it: pretty-printed JSON."""
        return json.dumps(self.data, ensure_ascii=False, indent=2)


def _pages(*pages: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"page": i, "text": t, "image_prompt": p} for i, (t, p) in enumerate(pages)]


def _en(era: str, place: str, characters: str, topic: str) -> StoryRequest:
    return StoryRequest(era=era, place=place, characters=characters, topic=topic, language="en")


def _ko(era: str, place: str, characters: str, topic: str) -> StoryRequest:
    return StoryRequest(era=era, place=place, characters=characters, topic=topic)


REALISTIC_EN: list[Sample] = [
    Sample(
        _en("Joseon Dynasty", "Gyeongbokgung Palace", "Horangi the tiger, a rabbit", "friendship"),
        {
            "title": "The Tiger and the Rabbit of Gyeongbokgung",
            "character_sheet": "Horangi: a big friendly orange tiger with black stripes, wearing "
            "a blue Korean hanbok vest; Tokki: a small white rabbit with long floppy ears and a "
            "pink hanbok skirt",
            "pages": _pages(
                (
                    "A tiger, a rabbit, and a friendship that began in a Joseon palace.",
                    "A big friendly orange tiger in a blue hanbok vest and a small white rabbit "
                    "in a pink hanbok skirt in front of Gyeongbokgung Palace, Joseon-era, warm "
                    "watercolor style",
                ),
                (
                    "Long ago, in the Joseon Dynasty, a big tiger named Horangi lived in the "
                    "gardens of Gyeongbokgung Palace. He was kind, but everyone ran away "
                    "from him. ",
                    "A big orange tiger sitting alone by a lotus pond in a Joseon-era palace "
                    "garden, Korean traditional roof tiles, soft morning light",
                ),
                (
                    "One day, a little rabbit named Tokki fell into the palace pond. “Help!” she "
                    "cried. Horangi jumped in without thinking.",
                    "Horangi lifting a small white rabbit in a pink hanbok skirt out of a lotus "
                    "pond, splashing water, Korean palace pavilion in the background",
                ),
                (
                    "“Thank you, Horangi,” said Tokki. “You are not scary at all!” They shared "
                    "rice cakes under the old pine tree.",
                    "A big orange tiger and a small white rabbit sharing rice cakes under a pine "
                    "tree, Korean hanbok, Gyeongbokgung courtyard, gentle smiles",
                ),
                (
                    "From that day on, Horangi and Tokki were best friends, and the whole palace "
                    "was full of laughter.",
                    "The tiger and the rabbit laughing together at sunset on the palace stone "
                    "steps, lanterns glowing, Joseon-era palace",
                ),
            ),
        },
        slipped=("Horangi",),
        kept=("Gyeongbokgung", "Joseon-era", "Korean hanbok"),
    ),
    Sample(
        _en("today", "Seoul", "Mia and her grandma", "Christmas"),
        {
            "title": "Mia's Christmas Eve Surprise",
            "character_sheet": "Mia: a 6-year-old Korean girl with a black bob haircut, a red "
            "wool coat and white mittens; Grandma: a small smiling grandmother with gray hair in "
            "a bun, round glasses and a green cardigan",
            "pages": _pages(
                (
                    "On Christmas Eve, Mia had a secret plan for Grandma. ",
                    "A little Korean girl in a red wool coat whispering a secret, snowy Seoul "
                    "apartment window, Christmas Eve lights, cozy illustration",
                ),
                (
                    "It was Christmas Eve in Seoul. Snow fell softly on the city, and Mia pressed "
                    "her nose against the window.  ",
                    "A little girl with a black bob haircut in a red coat looking out of a frosty "
                    "window at snowy Seoul streets, Christmas Eve, warm indoor light",
                ),
                (
                    "Mia wanted to give Grandma a present, but she had no money. "
                    "So she decided to make one herself...",
                    "Mia sitting at a kitchen table with colored paper, scissors and glue, making "
                    "a handmade card, Christmas tree in the corner",
                ),
                (
                    "She cut out paper stars and wrote a big card: “I love you, Grandma!” "
                    "It took all afternoon.",
                    "A little girl in a red coat holding a handmade card with paper stars, proud "
                    "smile, cozy living room with Christmas decorations",
                ),
                (
                    "When Grandma opened the card, she hugged Mia tight. It was the best "
                    "Christmas Eve ever! 🎄",
                    "A smiling grandmother in a green cardigan hugging a little girl in a red "
                    "coat, Christmas tree lights, snow outside the window, heartwarming",
                ),
            ),
        },
        slipped=("Mia",),
        kept=("Seoul", "Christmas Eve", "Christmas"),
    ),
    Sample(
        _en("modern day", "a village in Korea", "Minjun, a curious boy", "Chuseok"),
        {
            "title": "The Brightest Full Moon",
            "character_sheet": "Minjun - a curious 7-year-old boy with short black hair, wearing "
            "a light blue hanbok with a yellow vest\nHalmeoni - Minjun's grandmother, with "
            "silver hair and a purple hanbok",
            "pages": _pages(
                (
                    "A Chuseok night, a wish, and the brightest moon in the sky. 🌕",
                    "A curious boy in a light blue hanbok looking up at a huge full moon over a "
                    "Korean hanok village, Chuseok night, glowing lanterns",
                ),
                (
                    "It was Chuseok, the Korean harvest festival. Minjun and his family "
                    "traveled to Halmeoni's house in the countryside.",
                    "A family car driving along a country road toward a traditional hanok "
                    "village, autumn rice fields, Chuseok holiday mood",
                ),
                (
                    "Halmeoni showed Minjun how to make songpyeon, little half-moon rice cakes. "
                    "His first one looked more like a potato!",
                    "A grandmother with silver hair in a purple hanbok teaching a boy to make "
                    "songpyeon rice cakes at a low wooden table, funny lumpy rice cake",
                ),
                (
                    "That night, the full moon rose over the hills. “Make a wish,” whispered "
                    "Halmeoni.",
                    "Minjun and Halmeoni standing on a hill under a giant full moon, Korean "
                    "countryside at night, fireflies",
                ),
                (
                    "Minjun closed his eyes and wished that every Chuseok could be just like "
                    "this one.",
                    "A boy with closed eyes making a wish under the bright Chuseok full moon, "
                    "grandmother smiling beside him, peaceful",
                ),
            ),
        },
        slipped=("Minjun", "Halmeoni"),
        kept=("Chuseok", "Korean"),
    ),
    Sample(
        _en("once upon a time", "a sunny pond", "Leo the lion, Pip the duck", "sharing"),
        {
            "title": "Leo and Pip Share the Sun",
            "character_sheet": "Leo: a young lion cub with a fluffy golden mane and a big red "
            "bow tie; Pip: a tiny yellow duckling with an orange beak and a blue sailor hat",
            "pages": _pages(
                (
                    "A lion, a duck, and one sunny spot by the pond.",
                    "A young lion cub with a fluffy golden mane and a tiny yellow duckling in a "
                    "blue sailor hat by a sunny pond, bright colors",
                ),
                (
                    "Leo the lion loved the warm, flat rock by the pond. Every morning he "
                    "stretched out on it and yawned.",
                    "Leo stretching on a warm flat rock by a pond, yawning, Leo's golden mane "
                    "shining in the morning sun",
                ),
                (
                    "One morning, Pip the duck was already there. “This is MY rock,” said Leo. "
                    "Pip's feathers drooped.",
                    "A lion cub with a red bow tie frowning at a tiny yellow duckling sitting on "
                    "a flat rock, the duckling looking sad",
                ),
                (
                    "Leo saw how sad Pip was. He thought for a moment… then he moved over. "
                    "“There's room for two,” he said.",
                    "A lion cub moving over on a rock to make room for a tiny duckling — kind "
                    "gesture, pond with lily pads",
                ),
                (
                    "Now Leo and Pip share the sunny rock every day, and it feels even warmer "
                    "than before.",
                    "Leo and Pip napping together on a sunny rock by the pond, happy and cozy, "
                    "dragonflies in the air",
                ),
            ),
        },
        slipped=("Leo", "Pip"),
    ),
    Sample(
        _en("the future", "Mars", "Captain Luna and a robot named Bolt", "teamwork"),
        {
            "title": "Captain Luna and Bolt on Mars",
            "character_sheet": "Captain Luna: a brave girl astronaut in a white and orange "
            "space suit with a bubble helmet; Bolt: a small round silver robot with blue "
            "glowing eyes and wheels",
            "pages": _pages(
                (
                    "Two explorers, one red planet, and a big adventure!",
                    "A girl astronaut in a white and orange space suit and a small round silver "
                    "robot on the red surface of Mars, Earth in the sky",
                ),
                (
                    "Captain Luna landed her rocket on Mars. Her robot friend Bolt rolled down "
                    "the ramp, beeping happily.",
                    "A small silver robot with blue glowing eyes rolling down a rocket ramp onto "
                    "red Martian sand, a girl astronaut waving",
                ),
                (
                    "Suddenly, a dust storm blew in! Luna couldn't see anything. “Bolt, where "
                    "are you?”",
                    "A swirling red dust storm on Mars, a girl astronaut shielding her helmet, "
                    "faint blue robot eyes glowing in the dust",
                ),
                (
                    "Bolt turned on his bright blue eyes like flashlights. “Follow me, "
                    "Captain!” Together they found the rocket.",
                    "Bolt's blue eyes shining like flashlights through the dust, leading Captain "
                    "Luna back to her rocket, teamwork",
                ),
                (
                    "Back inside, Luna gave Bolt a big hug. “We make a great team,” she said.",
                    "A girl astronaut hugging a small silver robot inside a cozy rocket cabin, "
                    "Mars visible through the round window",
                ),
            ),
        },
        slipped=("Bolt", "Captain Luna"),
        kept=("Mars",),
    ),
    Sample(
        _en("winter", "a snowy forest", "뽀로로, 크롱", "helping friends"),
        {
            "title": "Pororo and Crong's Snowy Day",
            "character_sheet": "Pororo: a little blue penguin with orange goggles and a "
            "yellow-and-orange aviator cap; Crong: a small green baby dinosaur with a big smile",
            "pages": _pages(
                (
                    "Snow is falling, and two friends are ready to play!",
                    "A little blue penguin with orange goggles and a small green baby dinosaur "
                    "playing in a snowy forest, bright winter day",
                ),
                (
                    "Pororo woke up and saw that the whole forest was white. “Crong, wake up! "
                    "It snowed!” ",
                    "Pororo looking out of a small wooden house window at a snowy forest, "
                    "excited, morning light",
                ),
                (
                    "They built a big snowman, but Crong was too small to put the head on top.",
                    "A small green baby dinosaur stretching up to reach the top of a big "
                    "snowman, a blue penguin watching",
                ),
                (
                    "Pororo lifted Crong up on his shoulders. Together they placed the head "
                    "on the snowman!",
                    "Pororo and Crong building a snowman together, the dinosaur on the penguin's "
                    "shoulders, snowy pine trees",
                ),
                (
                    "The snowman smiled at them, and Pororo and Crong laughed all the way home.",
                    "A penguin and a baby dinosaur walking home through the snow at sunset, "
                    "a finished snowman smiling behind them",
                ),
            ),
        },
        slipped=("Pororo", "Crong"),
    ),
]

REALISTIC_KO: list[Sample] = [
    Sample(
        _ko("조선시대", "궁궐", "호랑이, 토끼", "우정"),
        {
            "title": "궁궐에 사는 호랑이와 토끼",
            "character_sheet": "Horangi (tiger): a big friendly orange tiger with black stripes, "
            "wearing a blue hanbok vest; Tokki (rabbit): a small white rabbit with long ears "
            "and a pink ribbon",
            "pages": _pages(
                (
                    "조선의 궁궐에서 시작된 특별한 우정 이야기",
                    "Horangi and Tokki standing in front of Gyeongbokgung Palace gate, Joseon "
                    "Dynasty, warm morning light, watercolor",
                ),
                (
                    "옛날 옛적 조선의 궁궐에 커다란 호랑이가 살았어요. 호랑이는 늘 혼자였답니다.",
                    "A big orange tiger in a blue hanbok vest sitting alone in a Joseon-era "
                    "palace garden, quiet and a little sad",
                ),
                (
                    "어느 날 작은 토끼가 연못에 빠졌어요. “살려 주세요!” 호랑이가 얼른 "
                    "달려가 토끼를 구했어요.",
                    "A big orange tiger lifting a small white rabbit out of a lotus pond in "
                    "Gyeongbokgung, splashing water, brave",
                ),
                (
                    "토끼는 호랑이에게 고맙다고 말했어요. 둘은 함께 떡을 나누어 먹었어요.",
                    "Horangi sharing rice cakes with a small white rabbit under a pine tree, "
                    "Korean palace roof in the background",
                ),
                (
                    "그날부터 호랑이와 토끼는 가장 친한 친구가 되었답니다.",
                    "A tiger and a rabbit laughing together under a blossoming tree in a palace "
                    "courtyard at sunset, joyful",
                ),
            ),
        },
        slipped=("Horangi", "Tokki"),
        kept=("Gyeongbokgung", "Joseon"),
    ),
    Sample(
        _ko("현대", "눈 내리는 서울", "지우, 산타 할아버지", "크리스마스"),
        {
            "title": "지우의 크리스마스 이브",
            "character_sheet": "Jiwoo: a 6-year-old Korean girl with pigtails, a yellow padded "
            "jacket and red boots; Santa: a jolly old man with a white beard, a red suit and "
            "a big sack of presents",
            "pages": _pages(
                (
                    "크리스마스 이브, 지우에게 찾아온 특별한 손님",
                    "A little Korean girl with pigtails in a yellow padded jacket looking at a "
                    "snowy Seoul night sky on Christmas Eve, twinkling lights",
                ),
                (
                    "크리스마스 이브였어요. 서울에 하얀 눈이 소복소복 내렸어요.  ",
                    "Snow falling on a Seoul apartment complex on Christmas Eve, warm yellow "
                    "windows, a little girl at one window",
                ),
                (
                    "지우는 산타 할아버지께 편지를 썼어요. “올해는 친구들에게도 선물을 주세요.”",
                    "Jiwoo writing a letter at her desk, crayons and a small Christmas tree, "
                    "cozy bedroom",
                ),
                (
                    "한밤중에 창문이 똑똑 울렸어요. 산타 할아버지가 웃고 계셨어요!",
                    "Santa Claus knocking on a frosty window, smiling, a little girl in pajamas "
                    "surprised, Christmas Eve night",
                ),
                (
                    "다음 날 아침, 지우와 친구들은 모두 선물을 받았답니다. 메리 크리스마스!",
                    "Happy children opening presents under a Christmas tree, snow outside, "
                    "a girl with pigtails laughing",
                ),
            ),
        },
        slipped=("Jiwoo", "Santa"),
        kept=("Seoul", "Christmas Eve"),
    ),
    Sample(
        _ko("현대", "시골 할머니 댁", "민준, 할머니", "추석"),
        {
            "title": "민준이의 추석 보름달",
            "character_sheet": "a curious 7-year-old boy with short black hair in a light blue "
            "hanbok; a kind grandmother with silver hair in a bun and a purple hanbok",
            "pages": _pages(
                (
                    "추석 밤, 보름달에게 소원을 빌어요 🌕",
                    "A boy in a light blue hanbok and his grandmother looking at a huge full "
                    "moon over a hanok village, Chuseok night",
                ),
                (
                    "추석이 되어 민준이는 시골 할머니 댁에 갔어요. 할머니가 활짝 웃으며 "
                    "반겨 주셨어요.",
                    "A grandmother in a purple hanbok hugging a boy at the gate of a traditional "
                    "Korean house, autumn persimmon tree",
                ),
                (
                    "할머니와 함께 송편을 빚었어요. 민준이의 송편은 감자처럼 울퉁불퉁했어요…",
                    "A boy and his grandmother making songpyeon rice cakes at a low wooden "
                    "table, the boy's rice cake lumpy and funny",
                ),
                (
                    "밤이 되자 커다란 보름달이 떠올랐어요. “소원을 빌어 보렴.”",
                    "Minjun and his grandmother on a hill under a giant Chuseok full moon, "
                    "fireflies, peaceful night",
                ),
                (
                    "민준이는 눈을 감고 소원을 빌었어요. 내년 추석에도 할머니를 만나게 해 주세요!",
                    "A boy with closed eyes making a wish under the full moon, grandmother "
                    "smiling beside him",
                ),
            ),
        },
        slipped=("Minjun",),
        kept=("Chuseok", "Korean"),
    ),
    Sample(
        _ko("겨울", "눈 덮인 숲", "뽀로로, 크롱", "도와주기"),
        {
            "title": '"뽀로로와 크롱의 눈사람"',
            "character_sheet": "Pororo: a little blue penguin with orange goggles and a "
            "yellow-and-orange aviator cap\nCrong: a small green baby dinosaur with a big smile",
            "pages": _pages(
                (
                    "눈 오는 날, 두 친구의 신나는 하루!",
                    "A little blue penguin with orange goggles and a small green baby dinosaur in "
                    "a snowy forest, bright winter morning",
                ),
                (
                    "아침에 일어난 뽀로로는 깜짝 놀랐어요. 숲이 온통 하얗게 변했거든요!",
                    "Pororo looking out of a little wooden house at a snowy forest, surprised "
                    "and excited",
                ),
                (
                    "둘은 커다란 눈사람을 만들었어요. 하지만 크롱은 키가 작아서 머리를 올릴 수 "
                    "없었어요.",
                    "Crong stretching up toward the top of a big snowman, too small to reach, "
                    "a blue penguin watching",
                ),
                (
                    "뽀로로가 크롱을 번쩍 들어 올렸어요. 드디어 눈사람 완성!",
                    "A blue penguin lifting a baby dinosaur onto his shoulders to put the head "
                    "on a snowman, snowy pine trees",
                ),
                (
                    "뽀로로와 크롱은 눈사람과 함께 활짝 웃었답니다.",
                    "Pororo and Crong smiling next to their finished snowman at sunset",
                ),
            ),
        },
        slipped=("Pororo", "Crong"),
    ),
    Sample(
        _ko("옛날", "바닷가 마을", "거북이, 갈매기", "용기"),
        {
            "title": "용감한 꼬마 거북이",
            "character_sheet": "Turtle: a tiny green sea turtle with a shiny shell and big "
            "curious eyes; Seagull: a white seagull with gray wings and a yellow beak",
            "pages": _pages(
                (
                    "작은 거북이가 큰 바다로 떠나는 날   ",
                    "A tiny green sea turtle on a sandy beach looking at the wide blue sea, "
                    "a small Korean fishing village behind, morning",
                ),
                (
                    "바닷가 마을에 꼬마 거북이가 살았어요. 거북이는 파도가 무서웠어요…",
                    "A tiny sea turtle hiding behind a rock while big waves crash on the beach, "
                    "timid",
                ),
                (
                    "갈매기가 날아와 말했어요. “천천히 한 걸음씩 가 보자!”",
                    "A white seagull with gray wings landing next to a tiny turtle, "
                    "encouraging, sunny beach",
                ),
                (
                    "거북이는 용기를 내어 한 걸음, 또 한 걸음 바다로 나아갔어요.",
                    "A tiny green turtle taking brave steps into gentle waves, the seagull "
                    "flying above and cheering",
                ),
                (
                    "마침내 거북이는 바다에서 신나게 헤엄쳤어요. 갈매기도 함께 웃었답니다.",
                    "A happy turtle swimming in clear blue water, a seagull gliding above, "
                    "sparkling sea",
                ),
            ),
        },
        kept=("Korean",),
    ),
    Sample(
        _ko("조선시대", "한옥 마을", "다람쥐 도토리, 부엉이", "나눔"),
        {
            "title": "도토리의 겨울 준비",
            "character_sheet": "Dotori (squirrel): a small brown squirrel with a bushy tail and "
            "a tiny red scarf; Owl: a wise old owl with round glasses and gray feathers",
            "pages": _pages(
                (
                    "나누면 더 따뜻해지는 겨울 이야기",
                    "- A small brown squirrel with a red scarf and a wise old owl in a snowy "
                    "Hanok village, Joseon era",
                ),
                (
                    "한옥 마을 뒷산에 다람쥐 도토리가 살았어요. 도토리는 겨울 양식을 열심히 "
                    "모았어요.",
                    "A small brown squirrel carrying acorns in an autumn forest behind a "
                    "traditional Korean village",
                ),
                (
                    "어느 추운 날, 부엉이 할아버지가 배가 고프다고 했어요.",
                    "A wise old owl with round glasses sitting on a snowy branch looking hungry, "
                    "the 다람쥐 peeking from a tree hole",
                ),
                (
                    "도토리는 모아 둔 도토리를 나누어 주었어요. “함께 먹어요, 할아버지!”",
                    "Dotori sharing a pile of acorns with an old owl inside a cozy tree hollow",
                ),
                (
                    "둘은 함께 따뜻한 겨울을 보냈답니다. 나누니까 마음도 배도 든든했어요.",
                    "A squirrel and an owl sleeping snugly together in a tree hollow, snow "
                    "falling outside, warm",
                ),
            ),
        },
        slipped=("Dotori", "다람쥐"),
        kept=("Hanok", "Joseon"),
    ),
]


def request(**changes: object) -> StoryRequest:
    """The sample request (조선시대, 궁궐, 호랑이와 토끼, 우정) with `changes` applied."""
    values: dict[str, object] = {
        "era": "조선시대",
        "place": "궁궐",
        "characters": "호랑이, 토끼",
        "topic": "우정",
    }
    values.update(changes)
    return StoryRequest(**values)  # type: ignore[arg-type]


# The sample /story answers, and the files a finished book message carries.
FULL = {"era": "조선시대", "place": "궁궐", "characters": "호랑이, 토끼", "topic": "우정"}
PAGE_FILES = {"cover.png", *(f"panel_{i}.png" for i in range(1, 5))}
PAGE_FILES |= {f"page_{i}.ogg" for i in range(5)}  # narration as Opus in Ogg
