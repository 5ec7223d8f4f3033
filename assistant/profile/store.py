"""Profiles and learnt bandit state, kept in a store's key/value table (memory, SQLite or PostgreSQL).

Layout in the :class:`~assistant.stores.KeyValueStore`:

* ``("profile", user_id)`` -> ``UserProfile.to_json()``;
* ``("bandit", "global")`` -> the global ranking model (:func:`policies.bandit.to_json`);
* ``("bandit_user", user_id)`` -> that user's own observations.

A profile is only ever read for its own user id: the key is the id, and a stored document whose
``user_id`` is another's is refused rather than returned. ``forget`` erases everything kept about a
user (profile, their bandit observations and, given the tracker store, their conversations) and
says what it erased. The global model keeps only sums over all users and is not personal data.

Writes are whole-document and last-writer-wins: the dialogue saves a profile once per turn under
the conversation's lock, so only two conversations of one user at the same moment could overwrite
each other's change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from assistant.stores.base import KeyValueStore, TrackerStore
from policies import bandit
from policies.bandit import BanditState

from .model import ProfileError, UserProfile

__all__ = ["ProfileStore", "Forgotten", "PROFILE_NAMESPACE", "BANDIT_NAMESPACE", "USER_BANDIT_NAMESPACE"]

PROFILE_NAMESPACE = "profile"
BANDIT_NAMESPACE = "bandit"
USER_BANDIT_NAMESPACE = "bandit_user"
_GLOBAL_KEY = "global"


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` erased."""

    user_id: str
    profile: bool
    bandit: bool
    conversations: tuple[str, ...]

    @property
    def anything(self) -> bool:
        return self.profile or self.bandit or bool(self.conversations)

    def sentences(self) -> list[str]:
        if not self.anything:
            return ["I had nothing stored about you."]
        out = []
        if self.profile or self.bandit:
            out.append("I've erased your profile and everything I learnt from your choices.")
        if self.conversations:
            out.append("I've deleted our conversations." if len(self.conversations) > 1
                       else "I've deleted our conversation.")
        return out


def _check_user(user_id: object) -> str:
    if not isinstance(user_id, str) or not user_id:
        raise ValueError(f"user_id must be a non-empty string, not {user_id!r}")
    return user_id


class ProfileStore:
    """``ProfileStore(store.kv, trackers=store)``, or ``ProfileStore.on(store)`` for a tracker store."""

    def __init__(self, kv: KeyValueStore, trackers: TrackerStore | None = None) -> None:
        self.kv = kv
        self.trackers = trackers

    @classmethod
    def on(cls, store: TrackerStore) -> "ProfileStore":
        return cls(store.kv, trackers=store)

    # -- profiles ----------------------------------------------------------------------------
    def load(self, user_id: str, now: float = 0.0) -> UserProfile:
        """The user's profile (migrated to the current schema); an empty one when there is none."""
        _check_user(user_id)
        doc = self.kv.get(PROFILE_NAMESPACE, user_id)
        if doc is None:
            return UserProfile.empty(user_id, now)
        if not isinstance(doc, dict):
            raise ProfileError(f"the stored profile of {user_id!r} is not a JSON object")
        owner = doc.get("user_id", user_id)  # version 1 documents may lack it: the key says whose it is
        if owner != user_id:
            raise ProfileError(f"the profile stored under {user_id!r} belongs to another user; refusing to read it")
        return UserProfile.from_json({**doc, "user_id": user_id})

    def save(self, profile: UserProfile) -> None:
        self.kv.put(PROFILE_NAMESPACE, _check_user(profile.user_id), profile.to_json())

    def users(self) -> list[str]:
        """Every user id with a stored profile."""
        return self.kv.keys(PROFILE_NAMESPACE)

    # -- bandit state ------------------------------------------------------------------------
    def load_bandit(self, user_id: str | None = None) -> BanditState | None:
        """The global model (``user_id=None``) or a user's own observations; None when none is stored."""
        namespace, key = self._bandit_key(user_id)
        doc = self.kv.get(namespace, key)
        return None if doc is None else bandit.from_json(doc)

    def save_bandit(self, state: BanditState, user_id: str | None = None) -> None:
        namespace, key = self._bandit_key(user_id)
        self.kv.put(namespace, key, bandit.to_json(state))

    @staticmethod
    def _bandit_key(user_id: str | None) -> tuple[str, str]:
        return (BANDIT_NAMESPACE, _GLOBAL_KEY) if user_id is None else (USER_BANDIT_NAMESPACE, _check_user(user_id))

    # -- forget me ---------------------------------------------------------------------------
    def forget(self, user_id: str, trackers: TrackerStore | None = None, senders: Iterable[str] = ()) -> Forgotten:
        """Erase the user's profile, their bandit observations and their conversations (``user_id`` and
        any other ``senders`` of theirs) from ``trackers`` (default: the store given at construction)."""
        _check_user(user_id)
        profile = self.kv.delete(PROFILE_NAMESPACE, user_id)
        learnt = self.kv.delete(USER_BANDIT_NAMESPACE, user_id)
        trackers = trackers if trackers is not None else self.trackers
        erased = []
        if trackers is not None:
            for sender in dict.fromkeys([user_id, *senders]):
                if trackers.exists(sender):
                    trackers.delete(sender)
                    erased.append(sender)
        return Forgotten(user_id, profile, learnt, tuple(erased))
