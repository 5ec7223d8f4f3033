"""A contextual bandit over the ranking's score features: LinUCB on one shared linear model.

Each candidate is described by a vector ``x`` of score features (profile affinity, similarity,
popularity, ...). One ridge regression predicts the reward of suggesting it (1 accepted, 0 turned
down): ``theta = A^-1 b`` with ``A = lam*I + sum x x^T`` and ``b = lam*w0 + sum r x``, where ``w0`` is
the prior weight vector (the hand-set weights used before any feedback) and ``lam`` how many
pseudo-observations it is worth. The score of a candidate is ``theta . x`` (exploit) plus
``alpha * sqrt(x^T A^-1 x)`` (explore: large where the model has seen little like ``x``).

Why LinUCB rather than Thompson sampling: it is deterministic for a given state, so a suggestion
and the reasons given for it can be reproduced and tested exactly, and this module stays a pure
function of its inputs with no random generator to thread through; the exploitation term is a sum
of per-feature contributions ``theta_i * x_i``, which is exactly what the explanations are made of.
``alpha`` sets how much to explore (0: pure exploitation); :func:`decayed_alpha` fades it as a
model gains observations (a user the model knows well is shown what it knows they like; a new one
is shown a little of everything).

Arm-less: there is no model per item, only per feature, so a new catalogue item is scored from
the first moment, and what is learnt on restaurants carries over to hotels.

Global and per user: the global state learns from every user. A user's own state holds only that
user's observations; :func:`personalise` puts them on top of the global model, used as the prior
mean (``A_u = s*I + sum_u x x^T``, ``b_u = s*theta_global + sum_u r x``): a new user gets the global
weights, and their own feedback moves them away as it accumulates (``s`` = how many observations
the global model is worth to one user).

Everything here is pure: functions take a state and return a new one. ``to_json``/``from_json``
make the state storable in a key/value store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

__all__ = [
    "BanditState",
    "BanditScore",
    "BanditError",
    "new_state",
    "theta",
    "score",
    "update",
    "decayed_alpha",
    "personalise",
    "to_json",
    "from_json",
    "resize",
]

STATE_VERSION = 1


class BanditError(ValueError):
    """A bandit state or feature vector does not fit (wrong features, bad numbers)."""


@dataclass(frozen=True, eq=False)
class BanditState:
    features: tuple[str, ...]
    A: np.ndarray  # d x d, lam*I + sum x x^T  (read-only)
    b: np.ndarray  # d, lam*w0 + sum r x      (read-only)
    count: int  # observations so far
    prior_strength: float  # lam
    prior_mean: np.ndarray  # w0 (read-only)

    @property
    def dim(self) -> int:
        return len(self.features)

    def weights(self) -> dict[str, float]:
        """The current expected weight per feature."""
        return dict(zip(self.features, (float(w) for w in theta(self))))


class BanditScore(NamedTuple):
    total: float  # expected + bonus
    expected: float  # theta . x
    bonus: float  # alpha * sqrt(x^T A^-1 x)
    contributions: dict[str, float]  # theta_i * x_i per feature; they sum to ``expected``


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.setflags(write=False)
    return array


def new_state(features: Sequence[str], prior_mean: Mapping[str, float] | Sequence[float] | None = None,
              prior_strength: float = 1.0) -> BanditState:
    """A state with no observations: the weights are ``prior_mean`` (0 for features it does not name)."""
    features = tuple(features)
    if len(set(features)) != len(features) or not features:
        raise BanditError(f"features must be distinct names, at least one: {features!r}")
    if not prior_strength > 0 or not math.isfinite(prior_strength):
        raise BanditError(f"prior_strength must be a positive number, not {prior_strength!r}")
    w0 = _vector(features, prior_mean if prior_mean is not None else {})
    return BanditState(features, _frozen(prior_strength * np.eye(len(features))), _frozen(prior_strength * w0), 0,
                       float(prior_strength), _frozen(w0))


def _vector(features: tuple[str, ...], values: Mapping[str, float] | Sequence[float]) -> np.ndarray:
    if isinstance(values, Mapping):
        unknown = set(values) - set(features)
        if unknown:
            raise BanditError(f"unknown features {sorted(unknown)}; this state has {list(features)}")
        x = np.array([float(values.get(f, 0.0)) for f in features])
    else:
        x = np.asarray(values, dtype=float).reshape(-1)
        if x.shape != (len(features),):
            raise BanditError(f"expected {len(features)} feature values ({list(features)}), got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise BanditError(f"feature values must be finite numbers: {dict(zip(features, x.tolist()))}")
    return x


def theta(state: BanditState) -> np.ndarray:
    """The expected weights ``A^-1 b``."""
    return np.linalg.solve(state.A, state.b)


def score(state: BanditState, features: Mapping[str, float] | Sequence[float], alpha: float = 0.0,
          weights: np.ndarray | None = None) -> BanditScore:
    """Upper confidence bound of the reward of one candidate; ``weights`` may pass a precomputed ``theta``."""
    if alpha < 0:
        raise BanditError(f"alpha (exploration) must be >= 0, not {alpha!r}")
    x = _vector(state.features, features)
    w = theta(state) if weights is None else weights
    parts = w * x
    expected = float(parts.sum())
    bonus = float(alpha * math.sqrt(max(0.0, float(x @ np.linalg.solve(state.A, x))))) if alpha else 0.0
    return BanditScore(expected + bonus, expected, bonus, dict(zip(state.features, (float(p) for p in parts))))


def decayed_alpha(alpha: float, count: int, half: float | None) -> float:
    """The exploration factor after ``count`` observations: ``alpha * half / (half + count)``, so it
    halves at ``half`` observations and keeps fading (``None``: no fading)."""
    if alpha < 0 or count < 0:
        raise BanditError(f"alpha and count must be >= 0: alpha={alpha!r}, count={count!r}")
    if half is None or not alpha:
        return float(alpha)
    if not half > 0:
        raise BanditError(f"half must be > 0 (or None), not {half!r}")
    return float(alpha * half / (half + count))


def update(state: BanditState, features: Mapping[str, float] | Sequence[float], reward: float,
           weight: float = 1.0) -> BanditState:
    """The state after observing ``reward`` (1 accepted, 0 rejected; any real number works) for ``x``."""
    if not math.isfinite(reward) or not math.isfinite(weight) or weight <= 0:
        raise BanditError(f"reward and weight must be finite (weight > 0): reward={reward!r}, weight={weight!r}")
    x = _vector(state.features, features)
    return BanditState(state.features, _frozen(state.A + weight * np.outer(x, x)),
                       _frozen(state.b + weight * reward * x), state.count + 1, state.prior_strength, state.prior_mean)


def _data(state: BanditState) -> tuple[np.ndarray, np.ndarray]:
    """The observations alone: ``sum x x^T`` and ``sum r x``."""
    eye = np.eye(state.dim)
    return state.A - state.prior_strength * eye, state.b - state.prior_strength * state.prior_mean


def personalise(global_state: BanditState, user_state: BanditState | None, strength: float = 3.0) -> BanditState:
    """The model for one user: the user's own observations on a prior centred on the global weights.

    ``strength`` is how many observations the global model is worth; with no user state (or no
    user observations) the result predicts exactly as the global model does.
    """
    if not strength > 0:
        raise BanditError(f"strength must be > 0, not {strength!r}")
    w_global = theta(global_state)
    if user_state is None or user_state.count == 0:
        data_a, data_b = np.zeros((global_state.dim,) * 2), np.zeros(global_state.dim)
    else:
        if user_state.features != global_state.features:
            user_state = resize(user_state, global_state.features)
        data_a, data_b = _data(user_state)
    return BanditState(global_state.features, _frozen(strength * np.eye(global_state.dim) + data_a),
                       _frozen(strength * w_global + data_b), user_state.count if user_state else 0, float(strength),
                       _frozen(w_global))


def resize(state: BanditState, features: Sequence[str], prior_mean: Mapping[str, float] | None = None,
           prior_strength: float | None = None) -> BanditState:
    """The state over another feature list (after an upgrade): observations on shared features are kept."""
    features = tuple(features)
    old = dict(zip(state.features, state.prior_mean.tolist()))
    mean = {f: old.get(f, 0.0) for f in features} if prior_mean is None else prior_mean
    fresh = new_state(features, mean, state.prior_strength if prior_strength is None else prior_strength)
    data_a, data_b = _data(state)
    shared = [f for f in features if f in state.features]
    i_new = [features.index(f) for f in shared]
    i_old = [state.features.index(f) for f in shared]
    A = np.array(fresh.A)
    b = np.array(fresh.b)
    A[np.ix_(i_new, i_new)] += data_a[np.ix_(i_old, i_old)]
    b[i_new] += data_b[i_old]
    return BanditState(features, _frozen(A), _frozen(b), state.count, fresh.prior_strength, fresh.prior_mean)


def to_json(state: BanditState) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "features": list(state.features),
        "A": state.A.tolist(),
        "b": state.b.tolist(),
        "count": state.count,
        "prior_strength": state.prior_strength,
        "prior_mean": state.prior_mean.tolist(),
    }


def from_json(doc: Any, features: Sequence[str] | None = None, prior_mean: Mapping[str, float] | None = None
              ) -> BanditState:
    """Read a stored state; given ``features``, fit it to them (see :func:`resize`)."""
    if not isinstance(doc, Mapping):
        raise BanditError(f"a stored bandit state must be a JSON object, not {type(doc).__name__}")
    version = doc.get("version")
    if version != STATE_VERSION:
        raise BanditError(f"bandit state version {version!r} is not readable here (this code reads {STATE_VERSION})")
    try:
        names = tuple(str(f) for f in doc["features"])
        d = len(names)
        A = np.asarray(doc["A"], dtype=float)
        b = np.asarray(doc["b"], dtype=float)
        mean = np.asarray(doc["prior_mean"], dtype=float)
        count = int(doc["count"])
        lam = float(doc["prior_strength"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BanditError(f"bandit state is malformed: {exc!r}") from None
    if A.shape != (d, d) or b.shape != (d,) or mean.shape != (d,) or not np.all(np.isfinite(A)) or lam <= 0:
        raise BanditError(f"bandit state is malformed: A {A.shape}, b {b.shape}, prior_mean {mean.shape} "
                          f"for {d} features, prior_strength {lam}")
    state = BanditState(names, _frozen(A), _frozen(b), count, lam, _frozen(mean))
    if features is not None and tuple(features) != names:
        state = resize(state, features, prior_mean)
    return state
