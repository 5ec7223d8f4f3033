"""A BERT encoder in plain torch, for parsing with a trained model without importing transformers.

Importing transformers' BERT costs ~2.5 s on this machine (it pulls in torch.distributed, kernels,
vision losses); the forward pass itself is a few lines. Parameter names match transformers'
``BertModel`` so the weights a model was trained with load unchanged, and
tests/test_bert_encoder.py checks that both give the same hidden states. Training still builds the
encoder with transformers (``nlu.encoder.load_pretrained``); only BERT-type encoders with absolute
positions take this path, anything else falls back to transformers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

_ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "gelu_new": lambda x: F.gelu(x, approximate="tanh")}


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int = 2
    hidden_act: str = "gelu"
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BertConfig:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in raw.items() if k in names and v is not None})


def supports(raw_config: dict[str, Any]) -> bool:
    """Whether a transformers config.json describes an encoder this module computes exactly."""
    return (
        raw_config.get("model_type") == "bert"
        and raw_config.get("position_embedding_type", "absolute") == "absolute"
        and raw_config.get("hidden_act", "gelu") in _ACTIVATIONS
        and not raw_config.get("is_decoder", False)
        and all(k in raw_config for k in ("vocab_size", "hidden_size", "num_hidden_layers",
                                          "num_attention_heads", "intermediate_size",
                                          "max_position_embeddings"))
    )


def load_config(path: Path) -> dict[str, Any]:
    return json.loads((path / "config.json").read_text(encoding="utf-8"))


@dataclass
class EncoderOutput:
    last_hidden_state: torch.Tensor


class _Embeddings(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.size(1)
        positions = torch.arange(length, device=input_ids.device)
        # every token is segment 0, as transformers does when no token_type_ids are given
        x = self.word_embeddings(input_ids) + self.token_type_embeddings.weight[0] + self.position_embeddings(positions)
        return self.LayerNorm(x)


class _SelfAttention(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.qkv: nn.Linear | None = None

    def fuse(self) -> None:
        """One product for query, key and value instead of three (they read the same input): fewer
        calls, and the int8 path quantises the input once. The separate weights are dropped."""
        parts = (self.query, self.key, self.value)
        fused = nn.Linear(parts[0].in_features, sum(p.out_features for p in parts))
        with torch.no_grad():
            fused.weight.copy_(torch.cat([p.weight for p in parts]))
            fused.bias.copy_(torch.cat([p.bias for p in parts]))
        self.qkv = fused
        del self.query, self.key, self.value

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        split = lambda t: t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        if self.qkv is not None:
            q, k, v = self.qkv(x).split(d, dim=-1)
        else:
            q, k, v = self.query(x), self.key(x), self.value(x)
        out = F.scaled_dot_product_attention(split(q), split(k), split(v),
                                             attn_mask=mask, scale=1.0 / math.sqrt(d // self.heads))
        return out.transpose(1, 2).reshape(b, n, d)


class _DenseNorm(nn.Module):
    """dense → residual → LayerNorm (BERT's 'output' blocks)."""

    def __init__(self, d_in: int, d_out: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        # named "self" in transformers' state dicts
        setattr(self, "self", _SelfAttention(c))
        self.output = _DenseNorm(c.hidden_size, c.hidden_size, c.layer_norm_eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.output(getattr(self, "self")(x, mask), x)


class _Intermediate(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = _ACTIVATIONS[c.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _Intermediate(c)
        self.output = _DenseNorm(c.intermediate_size, c.hidden_size, c.layer_norm_eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class _Stack(nn.Module):
    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))


class _Pooler(nn.Module):
    """Unused by the joint model; kept so trained weights load key for key."""

    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)


class BertEncoder(nn.Module):
    """Inference-only BERT: ``encoder(input_ids=, attention_mask=).last_hidden_state``."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Stack(config)
        self.pooler = _Pooler(config)

    def fuse_projections(self) -> None:
        """Inference only: see :meth:`_SelfAttention.fuse`. The state dict no longer matches a BERT's."""
        for layer in self.encoder.layer:
            getattr(layer.attention, "self").fuse()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> EncoderOutput:
        x = self.embeddings(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        # (B, 1, 1, L): a query attends to every real key, never to padding
        mask = attention_mask.bool()[:, None, None, :]
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return EncoderOutput(x)
