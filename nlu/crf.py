"""A linear-chain CRF over word positions, with BIO transition constraints built in."""

from __future__ import annotations

import torch
from torch import nn

_FORBIDDEN = -1e4


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
        if allowed is not None:
            emissions = emissions + (~allowed).unsqueeze(1).float() * _FORBIDDEN
        trans = self._trans()
        score = (self.start + self.start_constraint).unsqueeze(0) + emissions[:, 0]
        backpointers = []
        for t in range(1, emissions.size(1)):
            total = score.unsqueeze(2) + trans.unsqueeze(0)
            best, idx = total.max(dim=1)
            nxt = best + emissions[:, t]
            score = torch.where(mask[:, t : t + 1], nxt, score)
            backpointers.append(idx)
        score = score + self.end.unsqueeze(0)
        lengths = mask.long().sum(1).tolist()
        last = score.argmax(-1).tolist()
        # plain Python ints: indexing a tensor element by element is far slower
        pointers = torch.stack(backpointers, 1).tolist() if backpointers else []
        paths = []
        for b, length in enumerate(lengths):
            tag = last[b]
            path = [tag]
            for t in range(length - 1, 0, -1):
                tag = pointers[b][t - 1][tag]
                path.append(tag)
            paths.append(path[::-1])
        return paths
