"""A suggestion compared with what the user wants instead: "anything cheaper?", "something more upmarket?".

Pure. The offered place's price range is the point of reference: "cheaper" than a moderate place is
the cheap range, "cheaper" than an expensive one the range just below it. Where there is no range
beyond the offered one ("anything cheaper?" to a cheap place), ``level`` is None and the reply says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.profile.model import PRICE_LEVELS, price_rank

CHEAPER = re.compile(
    r"\b(?:cheaper|less (?:expensive|pricey|costly|dear)|more (?:affordable|reasonabl[ey](?: priced)?|budget)"
    r"|lower[- ]pric(?:ed|e)|not (?:as|so) (?:expensive|pricey|dear)|on the cheap(?:er)? side)\b", re.I)
DEARER = re.compile(
    r"\b(?:more (?:expensive|upmarket|upscale|luxurious|high[- ]end|exclusive)|pricier|posher|fancier|classier"
    r"|higher[- ](?:end|class)|more of a treat)\b", re.I)
# "not cheaper", "no more expensive": the words are there, the request is not
_NOT = re.compile(r"\b(?:not|no|n't)\s+(?:any\s+)?$", re.I)


@dataclass(frozen=True)
class PriceStep:
    """What a comparison asks for: ``direction`` -1 (cheaper) or +1 (dearer), from the ``offered`` range
    to ``level`` (None: the offered range is already the last one that way)."""

    direction: int
    offered: str
    level: str | None


def price_step(text: str | None, offered: Any) -> PriceStep | None:
    """The price range a comparison with the offered place asks for; None when the text makes none, or
    the place has no known price range."""
    rank = price_rank(offered)
    if not text or rank is None:
        return None
    direction = _direction(text)
    if direction == 0:
        return None
    target = rank + direction
    level = PRICE_LEVELS[target] if 0 <= target < len(PRICE_LEVELS) else None
    return PriceStep(direction, PRICE_LEVELS[rank], level)


def _direction(text: str) -> int:
    found = [(-1, m) for m in CHEAPER.finditer(text)] + [(1, m) for m in DEARER.finditer(text)]
    found = [(d, m) for d, m in found if not _NOT.search(text[: m.start()])]
    directions = {d for d, _ in found}
    return directions.pop() if len(directions) == 1 else 0  # "cheaper or fancier" asks nothing clear


__all__ = ["CHEAPER", "DEARER", "PriceStep", "price_step"]
