"""The joint model: one shared encoder, an intent head and a BIO entity head (optionally a CRF).

loss = w_intent * L_intent + w_entity * L_entity, with fixed weights or weights
learned as task uncertainties (Kendall et al., 2018).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from nlu.config import NluConfig
from nlu.crf import CRF
from nlu.features import Batch


@dataclass
class JointOutput:
    intent_logits: torch.Tensor  # (B, intents)
    emissions: torch.Tensor  # (B, W, tags)


class JointModel(nn.Module):
    def __init__(self, encoder: nn.Module, n_intents: int, tags: list[str], config: NluConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.intent_head = nn.Linear(hidden, n_intents)
        word_dim = hidden * (2 if config.word_pooling == "first_last" else 1)
        self.tag_head = nn.Linear(word_dim, len(tags))
        # known values' tags, added to the word's view before the tag head (config.gazetteer)
        self.gazetteer_proj = nn.Linear(len(tags), word_dim, bias=False) if config.gazetteer else None
        if self.gazetteer_proj is not None:
            nn.init.zeros_(self.gazetteer_proj.weight)  # starts as the model without it
        self.crf = CRF(tags) if config.use_crf else None
        # log variances of the two tasks, used only with uncertainty weighting
        self.log_vars = nn.Parameter(torch.zeros(2)) if config.loss_weighting == "uncertainty" else None

    def forward(self, batch: Batch) -> JointOutput:
        hidden = self.encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        if self.config.intent_pooling == "cls":
            sentence = hidden[:, 0]
        else:
            mask = batch.attention_mask.unsqueeze(-1).to(hidden.dtype)
            sentence = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        words = _gather(hidden, batch.word_index)
        if self.config.word_pooling == "first_last":
            # a long word's last piece carries its ending ("-ing", "-s"): both ends help the tagger
            words = torch.cat([words, _gather(hidden, batch.word_end_index)], dim=-1)
        if self.gazetteer_proj is not None and batch.gazetteer is not None:
            words = words + self.gazetteer_proj(batch.gazetteer.to(words.dtype))
        return JointOutput(self.intent_head(self.dropout(sentence)), self.tag_head(self.dropout(words)))

    def losses(self, out: JointOutput, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        if batch.intent_weights is None:
            intent_loss = F.cross_entropy(out.intent_logits, batch.intent_ids)
        else:
            each = F.cross_entropy(out.intent_logits, batch.intent_ids, reduction="none")
            intent_loss = (each * batch.intent_weights).sum() / batch.intent_weights.sum().clamp(min=1.0)
        if self.crf is not None:
            entity_loss = self.crf.nll(out.emissions, batch.tag_ids, batch.word_mask)
        else:
            flat = out.emissions.reshape(-1, out.emissions.size(-1))
            labels = batch.tag_ids.masked_fill(~batch.word_mask, -100).reshape(-1)
            entity_loss = F.cross_entropy(flat, labels, ignore_index=-100)
        return intent_loss, entity_loss

    def combine(self, intent_loss: torch.Tensor, entity_loss: torch.Tensor) -> torch.Tensor:
        if self.log_vars is None:
            return self.config.intent_loss_weight * intent_loss + self.config.entity_loss_weight * entity_loss
        precision = torch.exp(-self.log_vars)
        return precision[0] * intent_loss + precision[1] * entity_loss + self.log_vars.sum()

    @torch.no_grad()
    def decode_tags(self, out: JointOutput, batch: Batch, allowed: torch.Tensor | None) -> list[list[int]]:
        """Word-level tag ids per row (empty rows give an empty list)."""
        emissions = out.emissions.float()
        if self.crf is not None:
            paths = self.crf.viterbi(emissions, batch.word_mask, allowed)
        else:
            if allowed is not None:
                emissions = emissions.masked_fill(~allowed.unsqueeze(1), -1e4)
            paths = emissions.argmax(-1).tolist()
        return [path[:n] for path, n in zip(paths, batch.n_words)]


def _gather(hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    return hidden.gather(1, positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1)))
