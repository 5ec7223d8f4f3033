"""The dialogue manager (see manager.py for the order of one turn)."""

from assistant.dialogue.manager import DialogueManager, Turn
from assistant.dialogue.turn import RESTART_INTENT

__all__ = ["DialogueManager", "RESTART_INTENT", "Turn"]
