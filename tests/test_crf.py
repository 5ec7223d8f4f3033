"""The CRF: BIO constraints, a likelihood that matches brute force, and Viterbi decoding."""

import itertools

import torch

from nlu.crf import CRF, bio_constraints

TAGS = ["O", "B-a", "I-a", "B-b", "I-b"]


def _allowed(path):
    if TAGS[path[0]].startswith("I-"):
        return False
    for prev, cur in zip(path, path[1:]):
        if TAGS[cur].startswith("I-") and TAGS[prev][2:] != TAGS[cur][2:]:
            return False
    return True


def test_constraints_forbid_orphan_inside_tags():
    trans, start = bio_constraints(TAGS)
    assert start[TAGS.index("I-a")] < -1000 and start[TAGS.index("B-a")] == 0
    assert trans[TAGS.index("O"), TAGS.index("I-a")] < -1000
    assert trans[TAGS.index("B-b"), TAGS.index("I-a")] < -1000
    assert trans[TAGS.index("B-a"), TAGS.index("I-a")] == 0
    assert trans[TAGS.index("I-a"), TAGS.index("I-a")] == 0


def test_nll_equals_brute_force_over_allowed_paths():
    torch.manual_seed(0)
    crf = CRF(TAGS)
    with torch.no_grad():
        crf.transitions.normal_()
        crf.start.normal_()
        crf.end.normal_()
    emissions = torch.randn(1, 3, len(TAGS))
    gold = torch.tensor([[1, 2, 0]])
    mask = torch.ones(1, 3, dtype=torch.bool)

    def score(path):
        s = crf.start[path[0]] + emissions[0, 0, path[0]]
        for t in range(1, 3):
            s = s + crf.transitions[path[t - 1], path[t]] + emissions[0, t, path[t]]
        return s + crf.end[path[-1]]

    paths = [p for p in itertools.product(range(len(TAGS)), repeat=3) if _allowed(p)]
    log_z = torch.logsumexp(torch.stack([score(p) for p in paths]), 0)
    expected = log_z - score((1, 2, 0))
    assert torch.allclose(crf.nll(emissions, gold, mask), expected, atol=1e-4)

    best = max(paths, key=lambda p: float(score(p).detach()))
    assert crf.viterbi(emissions, mask) == [list(best)]


def test_masked_positions_are_ignored_and_allowed_tags_respected():
    crf = CRF(TAGS)
    emissions = torch.zeros(2, 4, len(TAGS))
    emissions[:, :, TAGS.index("B-b")] = 5.0
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    paths = crf.viterbi(emissions, mask)
    assert [len(p) for p in paths] == [2, 4]
    allowed = torch.ones(2, len(TAGS), dtype=torch.bool)
    allowed[:, TAGS.index("B-b")] = False
    allowed[:, TAGS.index("I-b")] = False
    for path in crf.viterbi(emissions, mask, allowed):
        assert all(TAGS[t] in ("O", "B-a", "I-a") for t in path)
