"""Running the joint model on words: batched, length-sorted, returning intents and entity spans."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nlu.features import collate, encode_batch
from nlu.bio import spans_from_bio
from nlu.gazetteer import Gazetteer
from nlu.labels import LabelSpace
from nlu.model import JointModel
from nlu.types import Token

# intents at least this likely contribute their entity tags to the decoding mask
_MASK_INTENT_PROB = 0.1


@dataclass
class ModelEntity:
    entity: str
    start: int  # char offsets into the text the words came from
    end: int
    confidence: float


@dataclass
class ModelPrediction:
    intent_ranking: list[tuple[str, float]]  # best first
    entities: list[ModelEntity]


class JointPredictor:
    def __init__(self, model: JointModel, tokenizer, labels: LabelSpace, max_length: int,
                 gazetteer: Gazetteer | None = None) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels = labels
        self.max_length = max_length
        self.gazetteer = gazetteer if model.gazetteer_proj is not None else None
        self._tag_index = {tag: i for i, tag in enumerate(labels.tags)}
        n_tags = len(labels.tags)
        # (intents, tags) bool: which tags each intent allows
        allowed = torch.zeros(len(labels.intents), n_tags, dtype=torch.bool)
        for i, name in enumerate(labels.intents):
            allowed[i, labels.intent_tags.get(name, list(range(n_tags)))] = True
        allowed[:, 0] = True
        self._intent_allowed = allowed

    def predict(self, batch_words: list[list[Token]], batch_size: int = 32, ranking: int = 10) -> list[ModelPrediction]:
        results: list[ModelPrediction | None] = [None] * len(batch_words)
        order = sorted(range(len(batch_words)), key=lambda i: len(batch_words[i]))
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            for i, pred in zip(idx, self._predict_batch([batch_words[i] for i in idx], ranking)):
                results[i] = pred
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def _predict_batch(self, batch_words: list[list[Token]], ranking: int) -> list[ModelPrediction]:
        encoded = encode_batch(self.tokenizer, [[w.text for w in words] for words in batch_words], self.max_length)
        known = None
        if self.gazetteer is not None:
            known = [self.gazetteer.features([w.text for w in words], self._tag_index) for words in batch_words]
        batch = collate(encoded, self.tokenizer.pad_token_id, gazetteer=known, n_tags=len(self.labels.tags))
        out = self.model(batch)
        probs = torch.softmax(out.intent_logits.float(), dim=-1)
        allowed = None
        if self.model.config.intent_tag_mask:
            likely = probs >= _MASK_INTENT_PROB
            likely[torch.arange(len(probs)), probs.argmax(-1)] = True
            allowed = (likely.unsqueeze(-1) & self._intent_allowed.unsqueeze(0)).any(1)
        paths = self.model.decode_tags(out, batch, allowed)
        # probability of the decoded tag at each word, as plain floats
        tag_probs = torch.softmax(out.emissions.float(), dim=-1)
        padded = torch.zeros(tag_probs.shape[:2], dtype=torch.long)
        for row, path in enumerate(paths):
            padded[row, : len(path)] = torch.tensor(path, dtype=torch.long)
        chosen = tag_probs.gather(-1, padded.unsqueeze(-1)).squeeze(-1).tolist()
        top = torch.topk(probs, k=min(ranking, probs.size(-1)), dim=-1)
        top_values, top_indices = top.values.tolist(), top.indices.tolist()
        preds = []
        for row, (words, path) in enumerate(zip(batch_words, paths)):
            tags = [self.labels.tags[t] for t in path]
            entities = []
            for kind, first, last in spans_from_bio(tags):
                conf = sum(chosen[row][first:last]) / (last - first)
                entities.append(ModelEntity(kind, words[first].start, words[last - 1].end, conf))
            intents = [(self.labels.intents[j], p) for p, j in zip(top_values[row], top_indices[row])]
            preds.append(ModelPrediction(intents, entities))
        return preds
