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


def _path_score(crf, emissions, path):
    """A tag path's score for one sequence's emissions, as the CRF defines it."""
    s = crf.start[path[0]] + emissions[0, path[0]]
    for t in range(1, len(path)):
        s = s + crf.transitions[path[t - 1], path[t]] + emissions[t, path[t]]
    return float((s + crf.end[path[-1]]).detach())


def _random_crf(seed: int) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(TAGS)
    with torch.no_grad():
        crf.transitions.normal_()
        crf.start.normal_()
        crf.end.normal_()
    return crf


def test_constraints_forbid_orphan_inside_tags():
    trans, start = bio_constraints(TAGS)
    assert start[TAGS.index("I-a")] < -1000 and start[TAGS.index("B-a")] == 0
    assert trans[TAGS.index("O"), TAGS.index("I-a")] < -1000
    assert trans[TAGS.index("B-b"), TAGS.index("I-a")] < -1000
    assert trans[TAGS.index("B-a"), TAGS.index("I-a")] == 0
    assert trans[TAGS.index("I-a"), TAGS.index("I-a")] == 0


def test_nll_equals_brute_force_over_allowed_paths():
    crf = _random_crf(seed=0)
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


def test_batched_viterbi_matches_brute_force_per_row_with_row_masks():
    """Rows of different lengths, each with its own allowed tags, decoded in one batch."""
    crf = _random_crf(seed=3)
    emissions = torch.randn(3, 4, len(TAGS))
    lengths = [4, 2, 3]
    mask = torch.tensor([[t < n for t in range(4)] for n in lengths])
    allowed = torch.ones(3, len(TAGS), dtype=torch.bool)
    allowed[1, TAGS.index("B-a")] = allowed[1, TAGS.index("I-a")] = False
    allowed[2, TAGS.index("B-b")] = allowed[2, TAGS.index("I-b")] = False

    expected = []
    for row, n in enumerate(lengths):
        paths = [
            p for p in itertools.product(range(len(TAGS)), repeat=n)
            if _allowed(p) and all(allowed[row, t] for t in p)
        ]
        expected.append(list(max(paths, key=lambda p: _path_score(crf, emissions[row], p))))
    assert crf.viterbi(emissions, mask, allowed) == expected


def test_decoding_leaves_out_hopeless_tags_without_changing_the_best_path():
    """Tags scoring far below a word's best cannot be on the best path; dropping them changes nothing."""
    torch.manual_seed(5)
    crf = CRF(TAGS)
    with torch.no_grad():
        crf.transitions.uniform_(-0.5, 0.5)
    emissions = torch.randn(2, 4, len(TAGS))
    for hopeless in ("B-b", "I-b", "B-a"):
        emissions[:, :, TAGS.index(hopeless)] -= 40.0  # never within reach
    emissions[:, :, TAGS.index("O")] -= 40.0
    mask = torch.ones(2, 4, dtype=torch.bool)
    kept = [TAGS[i] for i in crf._candidate_tags(emissions, mask).tolist()]
    # B-a stays for its partner I-a (an I- tag needs its B- tag to start), and O always stays
    assert kept == ["O", "B-a", "I-a"]

    paths = [p for p in itertools.product(range(len(TAGS)), repeat=4) if _allowed(p)]
    expected = [list(max(paths, key=lambda p: _path_score(crf, emissions[row], p))) for row in range(2)]
    assert crf.viterbi(emissions, mask) == expected
