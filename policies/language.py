"""Whether a message is written in another language than English.

The NLU is trained on English only: a message in Spanish or Chinese gets some reading (a greeting, a
cancellation) that is luck at best. Two signals, both cheap: letters of another script than Latin
(Chinese, Cyrillic, Arabic, ...) making up most of the message, or several words that are common in a
European language and no common English word. Names are left out first (a venue called "Café de la
Paix" makes no message French).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# short, frequent English words; none of them common in the languages below
_ENGLISH = frozenset("""
the a an i i'm i'd i'll you your we my me it it's is are was be am to for of at on with and or but
not no yes please need want would like can could find book get give show tell what where when which how
there this that some any thanks thank hello hi hey good great from near by about just also too
""".split())

# frequent words of Spanish, French, German, Italian, Portuguese and Dutch that are not English words
_FOREIGN = frozenset("""
de el la los las una uno del que y por para con dónde donde está esta estoy quiero necesito gracias
favor hola buenos buenas noches cuánto cuanto hay mesa habitación reservar busco tiene
le les une des du et je tu vous nous voudrais veux pour avec est où merci bonjour bonsoir réserver
chambre cherche s'il
der die das ein eine einen einem ich brauche möchte zum zur nach bitte und ist wo danke für mit mein
meine suche gibt hallo guten tag zimmer tisch
il lo gli vorrei grazie sono è dove buongiorno cerco camera
os um uma com onde obrigado obrigada quero preciso olá
ik wil graag een het waar dank je bedankt
""".split())

_MARKS = frozenset("¿¡")


def not_english(text: str, spans: Iterable[tuple[int, int]] = ()) -> bool:
    """True when ``text`` (outside the character ``spans`` of names found in it) reads as another
    language: mostly letters of another script, or two or more common words of a European language
    (or an opening ¿ or ¡) with no common English word."""
    text = _without(text or "", spans)
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 2:
        other_script = sum(1 for c in letters if not _latin(c))
        if other_script * 2 > len(letters):
            return True
    words = [w.lower() for w in _WORD.findall(text)]
    if any(w in _ENGLISH for w in words):
        return False
    foreign = sum(1 for w in words if w in _FOREIGN)
    return foreign >= 2 or (foreign >= 1 and any(c in _MARKS for c in text))


def _without(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(chars), end)):
            chars[i] = " "
    return "".join(chars)


def _latin(char: str) -> bool:
    if char.isascii():
        return True
    try:
        return unicodedata.name(char).startswith("LATIN")
    except ValueError:  # no name: not a letter any script table names
        return True
