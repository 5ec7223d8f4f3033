"""Subword tokenisation of pre-split words, straight on the Rust ``tokenizers`` library.

transformers' fast tokenizers are a wrapper around the same Rust object; going to it directly keeps
transformers out of the parse path (it costs seconds to import) and gives identical ids, which
tests/test_bert_encoder.py checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


@dataclass
class EncodedWords:
    input_ids: list[int]
    word_ids: list[int | None]  # the word each position came from (None for [CLS], [SEP])


class SubwordTokenizer:
    def __init__(self, backend, unk_token: str = "[UNK]", pad_token: str = "[PAD]") -> None:
        self._backend = backend
        self.unk_token = unk_token
        pad_id = backend.token_to_id(pad_token)
        self.pad_token_id = 0 if pad_id is None else pad_id
        backend.no_padding()
        self._max_length: int | None = None

    @classmethod
    def from_dir(cls, path: Path) -> SubwordTokenizer:
        from tokenizers import Tokenizer

        settings = {}
        if (path / TOKENIZER_CONFIG).exists():
            settings = json.loads((path / TOKENIZER_CONFIG).read_text(encoding="utf-8"))
        backend = Tokenizer.from_file(str(path / TOKENIZER_FILE))
        return cls(backend, settings.get("unk_token") or "[UNK]", settings.get("pad_token") or "[PAD]")

    @classmethod
    def from_transformers(cls, tokenizer) -> SubwordTokenizer:
        """The Rust tokenizer inside a transformers fast tokenizer (a copy: the original is untouched)."""
        from tokenizers import Tokenizer

        backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        return cls(backend, tokenizer.unk_token, tokenizer.pad_token)

    def encode(self, batch_words: list[list[str]], max_length: int) -> list[EncodedWords]:
        """[CLS] pieces... [SEP] per word list, truncated to ``max_length`` positions."""
        if self._max_length != max_length:
            self._backend.enable_truncation(max_length)
            self._max_length = max_length
        encodings = self._backend.encode_batch(batch_words, is_pretokenized=True)
        return [EncodedWords(list(e.ids), list(e.word_ids)) for e in encodings]

    def tokens(self, ids: list[int]) -> list[str]:
        return [self._backend.id_to_token(i) for i in ids]

    def pieces(self, word: str) -> list[str]:
        return self._backend.encode(word, add_special_tokens=False).tokens
