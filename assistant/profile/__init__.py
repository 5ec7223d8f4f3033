"""The user profile: model and JSON schema, update rules, plain-words description, persistence.

- ``model``: ``UserProfile`` (immutable, versioned JSON, ``PROFILE_SCHEMA``), ``decay``;
- ``updates``: pure rules ``apply_entities``, ``apply_statement``, ``apply_feedback``, ``apply_outcome``;
- ``describe``: ``describe_profile`` ("what do you know about me?");
- ``store``: ``ProfileStore`` on a key/value store (profiles, bandit state, forget-me).

The ranking that uses the profile is ``policies.ranking`` (with ``policies.bandit``).
"""

from __future__ import annotations

from .describe import describe_profile
from .model import (
    PROFILE_SCHEMA,
    SCHEMA_VERSION,
    Constraints,
    Fact,
    HistoryEntry,
    Preference,
    ProfileError,
    ProfileVersionError,
    UserProfile,
    decay,
)
from .updates import Updated, apply_entities, apply_feedback, apply_outcome, apply_statement, record_suggestion

__all__ = [
    "UserProfile",
    "Preference",
    "Constraints",
    "HistoryEntry",
    "Fact",
    "ProfileError",
    "ProfileVersionError",
    "PROFILE_SCHEMA",
    "SCHEMA_VERSION",
    "decay",
    "Updated",
    "apply_entities",
    "apply_statement",
    "apply_feedback",
    "apply_outcome",
    "record_suggestion",
    "describe_profile",
    "ProfileStore",
    "Forgotten",
]


def __getattr__(name: str):
    # the store pulls in the stores and the bandit (numpy): import it only when asked for
    if name in ("ProfileStore", "Forgotten"):
        from . import store

        return getattr(store, name)
    raise AttributeError(name)
