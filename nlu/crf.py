"""A linear-chain CRF over word positions, with BIO transition constraints built in."""

from __future__ import annotations

import torch
from torch import nn

_FORBIDDEN = -1e4
# nats beyond what the learnt transition scores can make up, before a tag is left out of decoding
_SAFETY = 4.0


def bio_constraints(tags: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Penalties for transitions IOB2 forbids: I-X may only follow B-X or I-X, and never start."""
    n = len(tags)
    trans = torch.zeros(n, n)
    start = torch.zeros(n)
    for j, to in enumerate(tags):
        if not to.startswith("I-"):
            continue
        start[j] = _FORBIDDEN
        kind = to[2:]
        for i, frm in enumerate(tags):
            if frm not in (f"B-{kind}", f"I-{kind}"):
                trans[i, j] = _FORBIDDEN
    return trans, start


class CRF(nn.Module):
    def __init__(self, tags: list[str]) -> None:
        super().__init__()
        n = len(tags)
        self.transitions = nn.Parameter(torch.zeros(n, n))
        self.start = nn.Parameter(torch.zeros(n))
        self.end = nn.Parameter(torch.zeros(n))
        trans_c, start_c = bio_constraints(tags)
        self.register_buffer("trans_constraint", trans_c, persistent=False)
        self.register_buffer("start_constraint", start_c, persistent=False)
        # each tag's B-/I- partner (itself for O): decoding keeps or drops the two together
        index = {tag: i for i, tag in enumerate(tags)}
        partner = [index.get(("I-" if t.startswith("B-") else "B-") + t[2:], i) if t[:2] in ("B-", "I-") else i
                   for i, t in enumerate(tags)]
        self.register_buffer("partner", torch.tensor(partner, dtype=torch.long), persistent=False)
        self.register_buffer("always_kept", torch.tensor([not t.startswith("I-") and not t.startswith("B-")
                                                          for t in tags]), persistent=False)

    def _trans(self) -> torch.Tensor:
        return self.transitions + self.trans_constraint

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood. ``mask[:, 0]`` must be all true."""
        emissions = emissions.float()
        trans = self._trans()
        start = self.start + self.start_constraint
        batch = torch.arange(emissions.size(0), device=emissions.device)
        # score of the gold paths
        gold = start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        for t in range(1, emissions.size(1)):
            step = trans[tags[:, t - 1], tags[:, t]] + emissions[batch, t, tags[:, t]]
            gold = gold + step * mask[:, t]
        lengths = mask.long().sum(1)
        last = tags[batch, lengths - 1]
        gold = gold + self.end[last]
        # partition function by the forward algorithm
        alpha = start.unsqueeze(0) + emissions[:, 0]
        for t in range(1, emissions.size(1)):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
        log_z = torch.logsumexp(alpha + self.end.unsqueeze(0), dim=1)
        return (log_z - gold).mean()

    @torch.no_grad()
    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor | None = None) -> list[list[int]]:
        """Best tag path per sequence; ``allowed`` (batch, tags) bool limits the tags used."""
        emissions = emissions.float()
        trans = self._trans()
        start = self.start + self.start_constraint
        end = self.end
        if allowed is not None:
            emissions = emissions + (~allowed).unsqueeze(1).float() * _FORBIDDEN
        # The search costs tags squared per word (ATIS: 159 tags), so it runs over the tags that could be on
        # a best path: a tag scoring further below the best tag of a word than transitions can make up never
        # is. Kept: within that margin anywhere in the batch, with its B-/I- partner, and O.
        columns = self._candidate_tags(emissions, mask)
        emissions = emissions[:, :, columns]
        trans = trans[columns][:, columns]
        start, end = start[columns], end[columns]
        score = start.unsqueeze(0) + emissions[:, 0]
        backpointers = []
        for t in range(1, emissions.size(1)):
            best, idx = (score.unsqueeze(2) + trans.unsqueeze(0)).max(dim=1)
            score = torch.where(mask[:, t : t + 1], best + emissions[:, t], score)
            backpointers.append(idx)
        lengths = mask.long().sum(1)
        tag = (score + end.unsqueeze(0)).argmax(-1)
        # follow the pointers back for the whole batch at once; a row keeps its last tag
        # until its own last word is reached
        steps = emissions.size(1)
        path = torch.zeros(emissions.size(0), steps, dtype=torch.long)
        path[:, steps - 1] = tag
        for t in range(steps - 1, 0, -1):
            earlier = backpointers[t - 1].gather(1, tag.unsqueeze(1)).squeeze(1)
            tag = torch.where(lengths > t, earlier, tag)
            path[:, t - 1] = tag
        path = columns[path]
        return [row[:n] for row, n in zip(path.tolist(), lengths.tolist())]

    def _candidate_tags(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        legal = self.trans_constraint == 0
        margin = 2 * _swing(self.transitions[legal]) + _swing(self.start) + _swing(self.end) + _SAFETY
        below_best = emissions - emissions.max(-1, keepdim=True).values
        below_best = below_best.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        keep = below_best.flatten(0, 1).amax(0) > -margin
        keep = keep | keep[self.partner] | self.always_kept
        return keep.nonzero().squeeze(1)


def _swing(scores: torch.Tensor) -> float:
    return float((scores.max() - scores.min()).detach()) if scores.numel() else 0.0
