"""``assistant test``: replay scripted dialogues through the real assistant and report what failed.

- ``model``: the loaded form of a dialogue file (dialogues; user, bot and new-session steps);
- ``loader``: the YAML format, read with file:line for every problem; names checked against the domain;
- ``matcher``: pure checks of one turn (parse, state, bot events) against a step;
- ``runner``: the real assistant, seeded and clocked, turn by turn;
- ``report``: console failures, the failed dialogues as YAML, JUnit XML.
"""

from __future__ import annotations

from .loader import DialogueFileError, check_against_domain, dialogue_files, load_dialogues, parse_dialogues
from .model import BotStep, Dialogue, NewSession, UserStep, Where
from .runner import DEFAULT_SEED, DialogueResult, ReplayClock, ReplayRunner, StepFailure

__all__ = [
    "BotStep",
    "Dialogue",
    "DialogueFileError",
    "DialogueResult",
    "DEFAULT_SEED",
    "NewSession",
    "ReplayClock",
    "ReplayRunner",
    "StepFailure",
    "UserStep",
    "Where",
    "check_against_domain",
    "dialogue_files",
    "load_dialogues",
    "parse_dialogues",
]
