"""Items said in words: "a cheap African place in the east", and the whole suggestion sentence."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from assistant.profile.describe import value_words

_VOWEL_SOUND = ("a", "e", "i", "o", "u", "8", "11", "18")
_TYPE_WORDS = {"guesthouse": "guesthouse", "swimmingpool": "swimming pool", "concerthall": "concert hall",
               "multiple sports": "sports venue", "architecture": "historic building", "boat": "boat trip",
               "entertainment": "entertainment venue", "nightclub": "nightclub"}


def type_words(value: Any) -> str:
    """A place's type as said: "swimmingpool" -> "swimming pool"."""
    return _TYPE_WORDS.get(str(value), str(value))


def article(phrase: str) -> str:
    return ("an " if phrase.lower().startswith(_VOWEL_SOUND) else "a ") + phrase


def _food(value: Any) -> str:
    return value_words("food", value).removesuffix(" food")


# what a hotel offers, said when the user asked for it ("with free wifi and parking")
_AMENITY_WORDS = (("internet", "free wifi"), ("parking", "parking"))
_TRUE_WORDS = ("yes", "true", "free", "1")


def summary(kind: str, attributes: Mapping[str, Any], asked: Mapping[str, Any] | None = None) -> str:
    """ "a cheap African place in the east", "a 4-star guesthouse in the north", "a free museum in the centre";
    a hotel's wifi and parking when the user ``asked`` for them ("a 3-star hotel in the centre, moderate,
    with free wifi") """
    area = attributes.get("area")
    where = f" in the {area}" if area else ""
    if kind == "restaurant":
        words = [w for w in (attributes.get("pricerange"), _food(attributes["food"]) if attributes.get("food") else None)
                 if w]
        return article(" ".join([*words, "place"])) + where
    if kind == "hotel":
        kind_word = type_words(attributes.get("type") or "hotel")
        stars = attributes.get("stars")
        head = article(f"{stars}-star {kind_word}" if stars else kind_word) + where
        price = attributes.get("pricerange")
        head = f"{head}, {price}" if price else head
        offers = [words for attribute, words in _AMENITY_WORDS
                  if _yes((asked or {}).get(attribute)) and _yes(attributes.get(attribute))]
        return f"{head}, with {' and '.join(offers)}" if offers else head
    if kind == "attraction":
        kind_word = type_words(attributes.get("type") or "place to visit")
        fee = str(attributes.get("entrance_fee") or "")
        free = fee.lower() == "free"
        head = article(f"free {kind_word}" if free else kind_word) + where
        return f"{head}, entry {fee}" if fee and not free and fee.lower() not in ("?", "unknown") else head
    return article(kind) + where


def _yes(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE_WORDS


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def suggestion_sentence(name: str, kind: str, attributes: Mapping[str, Any], reasons: Sequence[str],
                        description: str | None = None, asked: Mapping[str, Any] | None = None) -> str:
    """ "How about Curry Garden, an expensive Indian place in the centre? You liked Indian food before,
    and it's in the centre, near your hotel." With no reason worth saying, the item's own description."""
    head = f"How about {name}, {summary(kind, attributes, asked)}?"
    if reasons:
        said = reasons[0] if len(reasons) == 1 else ", ".join(reasons[:-1]) + ", and " + reasons[-1]
        return f"{head} {capitalised(said)}."
    if description:
        return f"{head} {description.strip()}"
    return head
