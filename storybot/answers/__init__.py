"""Answers: a child's or parent's typed or spoken answer (era, place, characters, topic) made
into a clean field value — Korean through Kiwi's morphology (`_korean`), English and the word
tables (`_words`) through patterns; `fields` is the public face."""

from storybot.answers._korean import korean_names
from storybot.answers.fields import (
    MAX_LENGTH,
    FieldError,
    Value,
    as_text,
    field_type,
    parse_characters,
    parse_era,
    parse_field,
    parse_place,
    parse_topic,
)

__all__ = [
    "MAX_LENGTH",
    "FieldError",
    "Value",
    "as_text",
    "field_type",
    "korean_names",
    "parse_characters",
    "parse_era",
    "parse_field",
    "parse_place",
    "parse_topic",
]
