"""One user's profile and learnt ranking model for the length of a turn.

The assistant loads a ``UserContext`` before the dialogue manager runs, the dialogue manager replaces
its profile and models with the results of the pure update rules, and the assistant saves what
changed once, after the turn (under the conversation's lock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from policies import bandit, ranking
from policies.bandit import BanditState

from .model import UserProfile
from .updates import Updated

if TYPE_CHECKING:
    from .store import ProfileStore

SKIP_WEIGHT = 0.5  # "something else" counts as half a rejection for the ranking model


@dataclass
class UserContext:
    profile: UserProfile
    global_model: BanditState
    user_model: BanditState | None = None
    settings: ranking.RankingSettings = field(default_factory=ranking.RankingSettings)
    profile_changed: bool = False
    models_changed: bool = False
    forget: bool = False  # "forget me": erase everything after the turn
    notes: list[str] = field(default_factory=list)  # what changed, in words (for /debug and the log)

    @property
    def user_id(self) -> str:
        return self.profile.user_id

    @classmethod
    def fresh(cls, user_id: str, now: float = 0.0,
              settings: ranking.RankingSettings | None = None) -> UserContext:
        settings = settings or ranking.RankingSettings()
        return cls(UserProfile.empty(user_id, now), ranking.initial_state(settings), None, settings)

    @classmethod
    def load(cls, store: ProfileStore, user_id: str, now: float,
             settings: ranking.RankingSettings | None = None) -> UserContext:
        settings = settings or ranking.RankingSettings()
        global_model = store.load_bandit() or ranking.initial_state(settings)
        return cls(store.load(user_id, now), global_model, store.load_bandit(user_id), settings)

    def save(self, store: ProfileStore) -> None:
        if self.profile_changed:
            store.save(self.profile)
        if self.models_changed:
            store.save_bandit(self.global_model)
            if self.user_model is not None:
                store.save_bandit(self.user_model, self.user_id)

    # ------------------------------------------------------------ used by the dialogue manager
    def model(self) -> BanditState:
        """The model to rank with: this user's observations on top of everyone's."""
        return ranking.model_for(self.global_model, self.user_model, self.settings)

    def update(self, updated: Updated) -> None:
        if updated.profile is not self.profile:
            self.profile = updated.profile
            self.profile_changed = True
        self.notes.extend(updated.changes)

    def learn(self, features: Mapping[str, Any], accepted: bool, skipped: bool = False) -> None:
        """Both ranking models see the suggestion's features with reward 1 (accepted) or 0."""
        values = {k: float(v) for k, v in features.items() if k in ranking.FEATURES}
        if not values:
            return
        weight = SKIP_WEIGHT if skipped else 1.0
        reward = 1.0 if accepted else 0.0
        user = self.user_model if self.user_model is not None else ranking.new_user_state(self.settings)
        self.global_model = bandit.update(_sized(self.global_model, self.settings), values, reward, weight)
        self.user_model = bandit.update(_sized(user, self.settings, personal=True), values, reward, weight)
        self.models_changed = True


def _sized(state: BanditState, settings: ranking.RankingSettings, personal: bool = False) -> BanditState:
    """A stored model from before a feature was added, grown to the current features."""
    if tuple(state.features) == ranking.FEATURES:
        return state
    return bandit.resize(state, ranking.FEATURES, None if personal else ranking.PRIOR_WEIGHTS)
