"""Word tokenisation with character offsets, shared by training and parsing.

Words keep their inner punctuation ("3:30", "o'clock", "e-mail", "£20" splits
into "£" and "20") so that word-level tags line up with what people annotate.
"""

from __future__ import annotations

import re

from nlu.types import Token

# a word: letters/digits joined by inner punctuation; else any single symbol
_WORD = re.compile(r"\w+(?:[-'’.:/&]\w+)*|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into words; every token satisfies ``text[t.start:t.end] == t.text``."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def tokens_from_words(words: list[str]) -> tuple[str, list[Token]]:
    """Join pre-split words with single spaces and return the text and its tokens."""
    tokens: list[Token] = []
    pos = 0
    for word in words:
        tokens.append(Token(word, pos, pos + len(word)))
        pos += len(word) + 1
    return " ".join(words), tokens
