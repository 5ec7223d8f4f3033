"""The profile in plain words: the answer to "what do you know about me?".

Also the small phrase helpers that the update rules and the ranking's reasons share, so that the
assistant names a preference the same way wherever it mentions it.
"""

from __future__ import annotations

from typing import Any

from .model import DEFAULT_HALF_LIFE, FACT_MAX_AGE, UserProfile

__all__ = ["describe_profile", "value_words", "feature_clause", "diet_sentence", "EMPTY_PROFILE"]

EMPTY_PROFILE = "I don't know anything about you yet."

# Features that are things a place has ("it has live music"); the rest are what a place is ("it's quiet").
_NOUN_FEATURES = {"live music", "outdoor seating", "wheelchair access", "step-free access", "parking", "wifi",
                  "a view", "view", "garden", "terrace", "kids menu", "free wifi", "river view", "bar", "gym",
                  "pool", "spa", "breakfast", "guided tours", "24-hour reception"}
# things a place has one of: "it has a river view", "places with a spa"
_COUNTABLE_FEATURES = {"view", "river view", "garden", "terrace", "bar", "gym", "pool", "spa", "kids menu",
                       "24-hour reception"}
# what a place is or does, where "it's X" would not read
_FEATURE_CLAUSES = {"late opening": "it opens late", "rainy day": "it's good on a rainy day",
                    "outdoor": "it's outdoors", "spicy": "it serves spicy food", "mild": "it serves mild food"}
_FEATURE_WORDS = {
    "spicy": "spicy food", "mild": "mild food", "child friendly": "child-friendly places",
    "dog friendly": "dog-friendly places", "family friendly": "family-friendly places",
}
_TYPE_PLURALS = {
    "swimmingpool": "swimming pools", "concerthall": "concert halls", "multiple sports": "sports venues",
    "entertainment": "entertainment venues", "architecture": "historic buildings", "nightclub": "nightclubs",
    "guesthouse": "guesthouses", "boat": "boat trips",
}
_SMALL_WORDS = {"and", "of", "the"}
_HINTS = 3  # weak tastes said, strongest first


def _title(value: str) -> str:
    return " ".join(w if w in _SMALL_WORDS else w[:1].upper() + w[1:] for w in value.split())


def value_words(attribute: str, value: Any) -> str:
    """``food=indian`` -> "Indian food", ``area=north`` -> "the north", ``feature=loud`` -> "loud places"."""
    value = str(value)
    if attribute == "food":
        return f"{_title(value)} food"
    if attribute == "area":
        return f"the {value}"
    if attribute == "pricerange":
        return f"{value} places"
    if attribute == "type":
        return _TYPE_PLURALS.get(value, value if value.endswith("s") else value + "s")
    if attribute == "feature":
        if value in _FEATURE_WORDS:
            return _FEATURE_WORDS[value]
        if value in _NOUN_FEATURES:
            return f"places with {_with_article(value)}"
        return f"{value} places"
    if attribute == "stars":
        return f"{value}-star places"
    if attribute in ("parking", "internet"):
        thing = "wifi" if attribute == "internet" else "parking"
        return f"places with {thing}" if value == "yes" else f"places without {thing}"
    return f"{attribute} {value}"


def feature_clause(value: str) -> str:
    """What an item's feature says about it: "it has live music", "it's quiet", "it serves spicy food"."""
    if value in _FEATURE_CLAUSES:
        return _FEATURE_CLAUSES[value]
    if value in _NOUN_FEATURES:
        return f"it has {_with_article(value)}"
    return f"it's {value.replace(' friendly', '-friendly')}"


def _with_article(feature: str) -> str:
    return f"a {feature}" if feature in _COUNTABLE_FEATURES else feature


def diet_sentence(diet: str) -> str:
    if diet in ("vegetarian", "vegan", "pescatarian"):
        return f"You're {diet}."
    if diet in ("halal", "kosher"):
        return f"You eat {diet}."
    return f"You need {diet.replace(' free', '-free')} food."


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_profile(profile: UserProfile, now: float | None = None, *, half_life: float | None = DEFAULT_HALF_LIFE,
                     threshold: float = 0.15, max_items: int = 5, sure: float = 0.5) -> list[str]:
    """Sentences about everything the profile holds that affects suggestions, most binding first.

    Soft preferences are shown as of ``now`` (default: the profile's last update), faded ones
    (below ``threshold``) left out, weak ones (below ``sure``) said as a hint ("You seem to like ...").
    An empty profile gives one sentence saying so.
    """
    now = profile.updated_at if now is None else now
    lines: list[str] = []
    cons = profile.constraints
    lines += [diet_sentence(d) for d in cons.diet]
    lines += [f"You need {need}." for need in cons.accessibility]
    if cons.budget_max == "cheap":
        lines.append("You keep to cheap places.")
    elif cons.budget_max is not None:
        lines.append(f"You don't want anything pricier than {cons.budget_max}.")

    def recent(name: str) -> bool:
        fact = profile.fact(name)
        return fact is not None and now - fact.at <= FACT_MAX_AGE.get(name, 0.0)

    area = profile.fact("area")
    if area is not None and area.source == "hotel":
        # a hotel searched for in an area is no stay yet: only a booked one is
        standing = profile.standing_bookings()
        booked = any(h.kind == "hotel" and h.event == "booked" and h.at >= area.at - 1.0 and h.item_id in standing
                     for h in profile.history)
        stay = profile.fact("staying_at")
        if stay is not None and recent("staying_at") and abs(stay.at - area.at) <= 1.0:
            lines.append(f"You're staying at {stay.value}, in the {area.value}, so I suggest places there.")
        elif recent("area"):
            lines.append(f"You're staying in the {area.value}, so I suggest places there." if booked
                         else f"You're looking for a hotel in the {area.value}, so I suggest places there.")
        else:
            lines.append(f"Last time you stayed in the {area.value}." if booked
                         else f"Last time you looked for a hotel in the {area.value}.")
    people = profile.fact("party_size")
    if people is not None:
        lines.append("You usually book for one." if people.value == 1 else f"You're usually a party of {people.value}.")
    day = profile.fact("day")
    if day is not None and recent("day"):
        lines.append(f"You're planning for {str(day.value).capitalize()}.")

    scored = [(profile.score(p.attribute, p.value, now, half_life), p) for p in profile.preferences]
    scored = sorted(((s, p) for s, p in scored if abs(s) >= threshold), key=lambda sp: -abs(sp[0]))  # strongest first
    # a taste told or seen again and again is said outright, one sentence each; what one choice
    # hints at (every attribute of a place accepted) is gathered into one sentence of the strongest few
    likes = [p for s, p in scored if s >= sure][:max_items]
    dislikes = [p for s, p in scored if s <= -sure][:max_items]
    lines += [f"You like {value_words(p.attribute, p.value)}." for p in likes]
    lines += [f"You don't like {value_words(p.attribute, p.value)}." for p in dislikes]
    staying = (("area", str(area.value)),) if area is not None and area.source == "hotel" else ()
    hinted_likes = [value_words(p.attribute, p.value) for s, p in scored
                    if 0 < s < sure and (p.attribute, p.value) not in staying][:_HINTS]  # said above
    hinted_dislikes = [value_words(p.attribute, p.value) for s, p in scored if -sure < s < 0][:_HINTS]
    if hinted_likes:
        lines.append(f"You seem to like {_join(hinted_likes)}.")
    if hinted_dislikes:
        lines.append(f"You seem not to like {_join(hinted_dislikes)}.")

    def names_and_ids(event: str) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for entry in reversed(profile.history):  # newest first
            if entry.event == event and entry.item_id not in seen:
                seen[entry.item_id] = entry.name or entry.item_id
        return [(name, item_id) for item_id, name in seen.items()][:max_items]

    def names(event: str) -> list[str]:
        return [name for name, _ in names_and_ids(event)]

    standing = profile.standing_bookings()
    booked = [n for n, item_id in names_and_ids("booked") if item_id in standing]
    if booked:
        lines.append(f"You booked {_join(booked)}.")
    accepted = [n for n in names("accepted") if n not in booked]
    if accepted:
        lines.append(f"You liked my suggestion of {_join(accepted)}.")
    rejected = names("rejected")
    if rejected:
        lines.append(f"You turned down {_join(rejected)}.")
    return lines or [EMPTY_PROFILE]
