"""``Assistant.handle``: the one door every front end (REPL, REST, socket.io, replay) goes through.

    assistant = Assistant.from_config()                       # the default city concierge
    assistant.handle("alice", "a taxi to the station at 6pm")  # -> [{"recipient_id": "alice", "text": ...}]

One turn: take the conversation's place in line (per-conversation lock), understand the text, load
the conversation's events and rebuild its state, let the dialogue manager decide, append the turn's
events in one store call, return the bot messages in Rasa's REST shape. Nothing a user types makes
it raise; a failure inside is logged, apologised for, and leaves the stored conversation as it was
plus the user's message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from assistant import events as ev
from assistant.dialogue import RESTART_INTENT, DialogueManager
from assistant.state import DialogueState
from nlu.types import IntentPrediction, Parse, ParsedEntity
from policies.context import PolicyConfig

if TYPE_CHECKING:
    from assistant.actions.bridge import ActionRunner
    from assistant.domain import Domain
    from assistant.profile.session import UserContext
    from assistant.profile.store import ProfileStore
    from assistant.recommender.service import Recommender
    from assistant.stores.base import TrackerStore

logger = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. Could you say that again?"
BUSY = "Sorry, I'm still busy with your previous message. Please try again in a moment."
PAYLOAD_EXTRACTOR = "payload"
SENDERS_NAMESPACE = "user_senders"  # kv: user id -> the conversations of that user (for forget-me)
# Rasa's payload syntax, which skips the NLU: /intent or /intent{"entity": "value"}
_PAYLOAD = re.compile(r"^\s*/([A-Za-z_][\w\-]*)\s*(\{.*\})?\s*$", re.DOTALL)


class TextParser(Protocol):
    def parse(self, text: Any) -> Parse: ...


def parse_payload(text: str, domain: Domain) -> Parse | None:
    """``/restart``, ``/book_taxi`` or ``/book_taxi{"taxi-destination": "station"}`` as a certain parse;
    None for anything else (which goes to the NLU)."""
    match = _PAYLOAD.match(text or "")
    if match is None:
        return None
    name = match[1]
    if name != RESTART_INTENT and name not in domain.intents:
        return None
    entities: list[ParsedEntity] = []
    if match[2]:
        try:
            values = json.loads(match[2])
        except ValueError:
            values = {}
        if isinstance(values, dict):
            entities = [ParsedEntity(str(k), v, 0, 0, 1.0, PAYLOAD_EXTRACTOR, str(v))
                        for k, v in values.items() if k in domain.entities and v is not None]
    intent = IntentPrediction(name, 1.0)
    return Parse(text, intent, [intent], entities)


class Assistant:
    """The assistant behind every channel: parser + dialogue manager + tracker store + locks.

    Conversation states are cached (``state_cache`` conversations, least recently used dropped) and
    reused while the store holds exactly the events they were built from, so a turn reads the store
    once (an event count) instead of refolding the whole conversation; several workers on one store
    stay correct, because another worker's turn changes the count.
    """

    def __init__(
        self,
        parser: TextParser,
        domain: Domain,
        store: TrackerStore | None = None,
        action_runner: ActionRunner | None = None,
        locks: Any = None,
        *,
        config: PolicyConfig | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        state_cache: int = 1024,
        recommender: Recommender | None = None,
        profiles: ProfileStore | None | bool = True,
    ) -> None:
        """``profiles``: where user profiles live (True: beside the conversations, in the tracker
        store's key/value table; None or False: no profiles, nothing personal is kept)."""
        from assistant.stores import InMemoryTrackerStore
        from assistant.stores.locks import ConversationLocks

        self.parser = parser
        self.domain = domain
        self.store = store if store is not None else InMemoryTrackerStore()
        self.action_runner = action_runner
        self.locks = locks if locks is not None else ConversationLocks(timeout=60.0)
        self.dm = DialogueManager(domain, action_runner, config, rng, clock, recommender=recommender)
        self.recommender = recommender
        if profiles is True:
            from assistant.profile.store import ProfileStore

            profiles = ProfileStore.on(self.store)
        self.profiles: ProfileStore | None = profiles or None
        self._cache_size = state_cache
        self._cache: OrderedDict[str, tuple[int, DialogueState]] = OrderedDict()
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------ the door
    def handle(self, sender_id: str, text: Any, metadata: Mapping[str, Any] | None = None, *,
               input_channel: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        """Bot messages for one user message, in Rasa's REST shape (``[]`` is a valid answer).

        ``user_id`` is the person behind the conversation, whose profile the turn reads and updates
        (default: the sender id). Only a channel that knows who the user is sets it (the REPL's
        ``--user``, a replayed dialogue, an authenticated web user): never from what a client claims.
        """
        if not isinstance(sender_id, str) or not sender_id:
            raise ValueError(f"sender_id must be a non-empty string, not {sender_id!r}")
        text = _as_text(text)
        from assistant.stores.locks import LockTimeout

        try:
            ticket = self.locks.reserve(sender_id)  # our place in line: before the slow parse
        except Exception:
            logger.exception("cannot queue a message of %s", sender_id)
            return [{"recipient_id": sender_id, "text": BUSY}]
        try:
            parse = self.parse(text)
            with ticket:
                return self._turn(sender_id, text, parse, metadata, input_channel, user_id)
        except LockTimeout:
            logger.warning("conversation %s stayed locked; message not handled", sender_id)
            return [{"recipient_id": sender_id, "text": BUSY}]
        except Exception:
            logger.exception("turn of %s failed", sender_id)
            return [{"recipient_id": sender_id, "text": SORRY}]
        finally:
            _release(ticket)

    async def ahandle(self, sender_id: str, text: Any, metadata: Mapping[str, Any] | None = None, *,
                      input_channel: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        """``handle`` for async front ends: runs on a worker thread, the event loop stays free."""
        return await asyncio.to_thread(self.handle, sender_id, text, metadata, input_channel=input_channel,
                                       user_id=user_id)

    def parse(self, text: str) -> Parse:
        """A payload (``/intent{...}``) as is, else the parser's reading; never raises."""
        payload = parse_payload(text, self.domain)
        if payload is not None:
            return payload
        try:
            return self.parser.parse(text)
        except Exception:
            logger.exception("the parser failed on a message; treating it as not understood")
            return Parse(text, IntentPrediction(None, 0.0), [], [])  # type: ignore[arg-type]

    def _turn(self, sender_id: str, text: str, parse: Parse, metadata: Mapping[str, Any] | None,
              input_channel: str | None, user_id: str | None = None) -> list[dict[str, Any]]:
        count, state = self._load(sender_id)
        user_id = user_id if isinstance(user_id, str) and user_id else sender_id
        user = self.user_context(user_id)
        try:
            turn = self.dm.handle(state, parse, metadata=metadata, input_channel=input_channel, user=user)
            self.store.append(sender_id, turn.events)
        except Exception:
            self._forget(sender_id)
            logger.exception("dialogue turn of %s failed; keeping the user's message only", sender_id)
            self._save_apology(sender_id, text, parse, metadata, input_channel)
            return [{"recipient_id": sender_id, "text": SORRY}]
        self._remember(sender_id, count + len(turn.events), state)
        if user is not None:
            self._after_turn(user, sender_id)
        return [message.to_rasa(sender_id) for message in turn.messages]

    # ------------------------------------------------------------ the user behind the conversation
    def user_context(self, user_id: str) -> UserContext | None:
        """The user's profile and ranking model for a turn; None without a profile store, or when the
        stored profile cannot be read (then nothing is personalised, and nothing overwrites it)."""
        if self.profiles is None:
            return None
        from assistant.profile.session import UserContext

        settings = self.recommender.settings if self.recommender is not None else None
        try:
            return UserContext.load(self.profiles, user_id, self.dm.clock(), settings)
        except Exception:
            logger.exception("cannot read the profile of %s; this turn goes without it", user_id)
            return None

    def profile(self, user_id: str):
        """The stored profile of ``user_id`` (an empty one when there is none)."""
        context = self.user_context(user_id)
        if context is None:
            raise RuntimeError("this assistant keeps no profiles")
        return context.profile

    def _after_turn(self, user: UserContext, sender_id: str) -> None:
        assert self.profiles is not None
        try:
            if user.forget:
                self.forget_user(user.user_id, sender_id)
                return
            user.save(self.profiles)
            if user.user_id != sender_id:
                senders = self.profiles.kv.get(SENDERS_NAMESPACE, user.user_id) or []
                if sender_id not in senders:
                    self.profiles.kv.put(SENDERS_NAMESPACE, user.user_id, [*senders, sender_id])
        except Exception:
            logger.exception("could not save the profile of %s", user.user_id)

    def forget_user(self, user_id: str, sender_id: str | None = None):
        """Erase the user's profile, learnt choices and conversations; returns what was erased."""
        if self.profiles is None:
            raise RuntimeError("this assistant keeps no profiles")
        senders = list(self.profiles.kv.get(SENDERS_NAMESPACE, user_id) or [])
        if sender_id is not None:
            senders.append(sender_id)
        forgotten = self.profiles.forget(user_id, self.store, senders)
        self.profiles.kv.delete(SENDERS_NAMESPACE, user_id)
        for sender in forgotten.conversations:
            self._forget(sender)
        logger.info("forgot user %s: %s", user_id, " ".join(forgotten.sentences()))
        return forgotten

    def _save_apology(self, sender_id: str, text: str, parse: Parse, metadata: Mapping[str, Any] | None,
                      input_channel: str | None) -> None:
        try:
            now = self.dm.clock()
            self.store.append(sender_id, [
                ev.user(text, parse, input_channel, metadata, timestamp=now),
                ev.bot(SORRY, metadata={"error": "turn_failed"}, timestamp=now),
            ])
        except Exception:
            logger.exception("could not store the failed turn of %s", sender_id)

    # ------------------------------------------------------------ state
    def state(self, sender_id: str) -> DialogueState:
        """The conversation's state rebuilt from the store (a fresh copy; not cached)."""
        return DialogueState.from_events(sender_id, self.store.load(sender_id))

    def tracker(self, sender_id: str) -> dict[str, Any]:
        """The conversation as an action server would see it (for tracker read-outs)."""
        return self.state(sender_id).to_tracker_json(self.domain)

    def _load(self, sender_id: str) -> tuple[int, DialogueState]:
        if self._cache_size > 0:
            with self._cache_lock:
                cached = self._cache.pop(sender_id, None)
            if cached is not None and cached[0] == self.store.count(sender_id):
                return cached
        events = self.store.load(sender_id)
        return len(events), DialogueState.from_events(sender_id, events)

    def _remember(self, sender_id: str, count: int, state: DialogueState) -> None:
        if self._cache_size <= 0:
            return
        with self._cache_lock:
            self._cache[sender_id] = (count, state)
            self._cache.move_to_end(sender_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _forget(self, sender_id: str) -> None:
        with self._cache_lock:
            self._cache.pop(sender_id, None)

    def close(self) -> None:
        for part in (self.action_runner, self.store):
            close = getattr(part, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    logger.exception("closing %r failed", part)

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ the default assistant
    @classmethod
    def from_config(
        cls,
        data_dir: str | Path | None = None,
        model_dir: str | Path | None = None,
        store_url: str | None = None,
        action_endpoint: str | None = None,
        *,
        parser: TextParser | None = None,
        actions_module: str | None = None,
        **options: Any,
    ) -> Assistant:
        """An assistant from a data folder (``domain.yml``, ``config.yml``, ``actions/``, ``nlu/``).

        ``model_dir`` defaults to the cached model of the data (trained on first use); ``store_url``
        to SQLite in ``./assistant.db``; ``action_endpoint`` (a rasa-sdk server URL) to running the
        folder's actions in this process.
        """
        from assistant.actions import make_action_runner
        from assistant.domain import load_domain
        from assistant.paths import default_data_dir
        from assistant.stores import create_store

        data = Path(data_dir) if data_dir is not None else default_data_dir()
        domain = load_domain(data / "domain.yml")
        config = load_policy_config(data / "config.yml")
        if parser is None:
            from nlu.parser import Parser

            if model_dir is None:
                from assistant.default_model import ensure_default_model

                model_dir = ensure_default_model(data)
            parser = Parser.load(model_dir)
        if action_endpoint:
            runner = make_action_runner(url=action_endpoint)
        else:
            runner = make_action_runner(actions_module=actions_module or _actions_module(data))
        if "recommender" not in options:
            options["recommender"] = load_recommender(data, domain)
        return cls(parser, domain, create_store(store_url), runner, config=config, **options)


def load_recommender(data_dir: Path, domain: Domain) -> Recommender | None:
    """The recommender over ``<data_dir>/catalogue`` for the kinds the domain's tasks recommend; None
    when the assistant has no catalogue."""
    from assistant.paths import cache_dir
    from assistant.recommender.service import Recommender

    kinds = {t.recommend for t in domain.tasks.values() if t.recommend}
    folder = data_dir / "catalogue"
    if not kinds or not folder.is_dir():
        return None
    # files are named after their kind (restaurants.jsonl, hotels.csv, attractions-extra.jsonl); other
    # files there (the train timetable) are not catalogue items
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jsonl", ".csv")
                   and any(p.name.lower().startswith(kind) for kind in kinds))
    if not files:
        return None
    return Recommender.from_folder(files, kinds, embeddings_dir=cache_dir() / "embeddings")


def load_policy_config(path: str | Path) -> PolicyConfig:
    """The ``policies:`` section of an assistant config file; defaults when the file or section is absent."""
    import yaml

    path = Path(path)
    if not path.exists():
        return PolicyConfig()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    section = raw.get("policies") if isinstance(raw, dict) else None
    if section is not None and not isinstance(section, dict):
        raise ValueError(f"{path}: policies must be a mapping of setting: value")
    return PolicyConfig.from_mapping(section, where=f"{path}: policies")


def _actions_module(data_dir: Path) -> str:
    """The importable name of ``<data_dir>/actions`` (its parent goes on sys.path if need be)."""
    data_dir = data_dir.resolve()
    parent = str(data_dir.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return f"{data_dir.name}.actions"


def _as_text(text: Any) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        return text.decode("utf-8", "replace")
    return text if isinstance(text, str) else str(text)


def _release(ticket: Any) -> None:
    try:
        ticket.release()
    except Exception:  # already released by the with-block, or the lock's backend went away
        pass
