"""Hand-written stories that pass (or, edited, fail) validation."""

from __future__ import annotations

import copy
import json
from typing import Any

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
