"""The catalogue's venues as the actions see them (``data/catalogue/<kind>s.jsonl``): where a place is
and what it costs to get in. Action code imports only rasa_sdk and the standard library."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"


def _key(name: str) -> str:
    """Names compare without case, punctuation or a leading "the" ("the ashcombe museum")."""
    words = re.sub(r"['\u2019`]", "", name.casefold())
    return " ".join(w for w in re.findall(r"[a-z0-9]+", words) if w != "the")


@lru_cache(maxsize=8)
def _venues(kind: str) -> dict[str, dict[str, Any]]:
    path = CATALOGUE / f"{kind}s.jsonl"
    if not path.exists():
        return {}
    out = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                out[_key(str(item.get("name", "")))] = item
    return out


def find(kind: str, name: str) -> dict[str, Any] | None:
    """The catalogue item of ``kind`` called ``name``, or None."""
    return _venues(kind).get(_key(name)) if name else None


def visit_text(item: dict[str, Any]) -> str:
    """ "Ashcombe Museum is at 1 Ashcombe Place, in the centre, and entry is free." """
    attributes = item.get("attributes") or {}
    where = []
    if attributes.get("street"):
        where.append(f"at {attributes['street']}")
    if attributes.get("area"):
        where.append(f"in the {attributes['area']}")
    text = f"{item['name']} is {', '.join(where)}" if where else str(item["name"])
    fee = str(attributes.get("entrance_fee") or "").strip()
    if fee.lower() == "free":
        text += ", and entry is free"
    elif fee.startswith("£"):
        text += f", and entry costs {fee}"
    return text + "."
