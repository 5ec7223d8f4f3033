"""The scripted multi-task conversations of test_dialogue.py, with the actions on a real rasa-sdk
action server (``python -m rasa_sdk --actions data.actions``, started once for this module).

Each conversation runs twice, with an InProcessActionRunner and with a RemoteActionRunner: both runs
must pass the conversation's own assertions and give the same bot messages, the same stored events
and the same action calls and results, timestamps aside.
"""

from __future__ import annotations

import inspect
import random
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_dialogue as dialogue  # noqa: E402  (its test functions stay out of this module's namespace)
from action_server import ROOT, action_servers  # noqa: E402
from parses import Chat, Clock, dm_for  # noqa: E402

from assistant.actions import ActionResult, InProcessActionRunner, RemoteActionRunner  # noqa: E402
from assistant.actions.bridge import ActionRunner  # noqa: E402
from assistant.agent import Assistant  # noqa: E402
from assistant.domain import load_domain  # noqa: E402
from assistant.state import COMPLETED, DialogueState  # noqa: E402
from assistant.stores import SQLiteTrackerStore  # noqa: E402

CONVERSATIONS: list[Callable[..., None]] = [
    # agenda
    dialogue.test_interrupting_task_takes_focus_and_the_suspended_one_comes_back,
    dialogue.test_user_goes_back_to_a_task_explicitly,
    dialogue.test_a_taxi_back_to_the_hotel_is_a_new_taxi_not_a_resume,
    dialogue.test_two_requests_in_one_message_are_served_by_priority_and_both_completed,
    dialogue.test_the_users_own_order_beats_priority,
    dialogue.test_lower_priority_request_is_queued_announced_and_handled_after,
    dialogue.test_urgent_request_jumps_the_queue,
    # conflicts
    dialogue.test_same_task_requested_twice_is_merged,
    dialogue.test_correction_overwrites_revalidates_and_reconfirms,
    dialogue.test_cancelling_one_task_keeps_the_others,
    dialogue.test_booking_time_colliding_with_another_task_is_flagged_and_fixed,
    dialogue.test_taxi_arriving_after_the_booking_is_pointed_out,
    dialogue.test_request_contradicting_the_profile_is_asked_about,
    dialogue.test_profile_conflict_kept_when_the_user_insists,
    dialogue.test_suspended_task_is_brought_back_once_after_n_turns,
    dialogue.test_reminder_beside_a_slot_question_can_be_passed_over,
    dialogue.test_browsing_then_the_offer_turns_into_a_booking,
    dialogue.test_declined_offer_ends_the_search,
    dialogue.test_profile_read_out_and_forgotten,
    # understanding
    dialogue.test_low_confidence_message_gets_a_clarifying_question,
    dialogue.test_close_second_with_entities_carries_them_in_the_payloads,
    dialogue.test_out_of_domain_message_is_answered_gracefully,
    dialogue.test_answer_with_entities_is_understood_despite_a_weak_intent,
    dialogue.test_small_talk_then_back_to_the_question,
]
# conversations in which the real actions must run (a booking or a search is fulfilled)
RUN_ACTIONS = {
    "interrupting_task_takes_focus_and_the_suspended_one_comes_back": ["action_book_taxi"],
    "user_goes_back_to_a_task_explicitly": ["action_book_hotel"],
    "two_requests_in_one_message_are_served_by_priority_and_both_completed": ["action_book_taxi",
                                                                               "action_book_restaurant"],
    "lower_priority_request_is_queued_announced_and_handled_after": ["action_book_restaurant",
                                                                      "action_find_attraction"],
    "urgent_request_jumps_the_queue": ["action_find_attraction"],
    "correction_overwrites_revalidates_and_reconfirms": ["action_book_restaurant"],
    "booking_time_colliding_with_another_task_is_flagged_and_fixed": ["action_book_restaurant"],
    "taxi_arriving_after_the_booking_is_pointed_out": ["action_book_restaurant"],
}


def name_of(conversation: Callable[..., None]) -> str:
    return conversation.__name__.removeprefix("test_")


# --- the server and the two runners ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with action_servers(tmp_path_factory.mktemp("action_server"), default="data.actions") as started:
        yield started["default"]


@pytest.fixture(scope="module")
def runners(server):
    with InProcessActionRunner("data.actions", timeout=10.0) as local, \
            RemoteActionRunner(server.url, timeout=10.0) as remote:
        yield {"in_process": local, "remote": remote}


@pytest.fixture(scope="module")
def domain():
    return load_domain(dialogue.DOMAIN_FILE)


# --- recording a run ------------------------------------------------------------------------------


def without_timestamps(value: Any) -> Any:
    """``value`` with every ``timestamp`` (and the tracker's ``latest_event_time``) left out, at any depth."""
    if isinstance(value, dict):
        return {k: without_timestamps(v) for k, v in value.items() if k not in ("timestamp", "latest_event_time")}
    if isinstance(value, (list, tuple)):
        return [without_timestamps(v) for v in value]
    return value


class RecordingRunner(ActionRunner):
    """Passes every call on to ``inner`` and keeps (action, tracker, result or error)."""

    def __init__(self, inner: ActionRunner) -> None:
        self.inner = inner
        self.calls: list[tuple[str, dict, Any]] = []

    def run(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        try:
            result = self.inner.run(action_name, tracker, domain)
        except Exception as error:
            self.calls.append((action_name, without_timestamps(tracker), repr(error)))
            raise
        self.calls.append((action_name, without_timestamps(tracker), result.to_dict()))
        return result

    async def arun(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        raise AssertionError("the dialogue manager runs actions with run()")


def run_conversation(conversation: Callable[..., None], domain, runner: ActionRunner, db: Path,
                     monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Runs one conversation of test_dialogue.py (its assertions included) on ``runner``; returns what
    the bot said each turn, the events as stored in SQLite, and the action calls, without timestamps."""
    recorder = RecordingRunner(runner)
    store = SQLiteTrackerStore(db)
    chats: list[Chat] = []

    class StoredChat(Chat):
        """A Chat whose every turn is also appended, as Assistant.handle does, to a real store."""

        def __init__(self, dm, sender: str = "alice") -> None:
            super().__init__(dm, sender)
            self.key = f"{sender}-{len(chats)}"
            self.said: list[list[str]] = []
            chats.append(self)

        def __call__(self, parse):
            texts = super().__call__(parse)
            store.append(self.key, self.last_events)
            self.said.append(texts)
            return texts

    try:
        with monkeypatch.context() as patch:
            patch.setattr(dialogue, "Chat", StoredChat)  # the chats a conversation makes itself
            if "chat" in inspect.signature(conversation).parameters:
                conversation(StoredChat(dm_for(domain, recorder)))  # as test_dialogue's `chat` fixture
            else:
                conversation(domain, recorder)
        assert chats, "the conversation made no Chat"
        transcript = {"said": [], "stored": [], "actions": without_timestamps(recorder.calls)}
        for chat in chats:
            stored = store.load(chat.key)
            assert stored == chat.events  # the store gives back exactly what each turn appended
            rebuilt = DialogueState.from_events(chat.state.sender_id, stored)
            assert [t.to_dict() for t in rebuilt.tasks] == [t.to_dict() for t in chat.state.tasks]
            assert rebuilt.focus == chat.state.focus
            transcript["said"].append(chat.said)
            transcript["stored"].append(without_timestamps(stored))
        return transcript
    finally:
        store.close()


# --- the conversations, both ways -----------------------------------------------------------------


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=name_of)
def test_conversation_gives_the_same_outcome_with_a_remote_action_server(conversation, domain, runners,
                                                                         tmp_path, monkeypatch):
    in_process = run_conversation(conversation, domain, runners["in_process"], tmp_path / "in_process.db",
                                  monkeypatch)
    remote = run_conversation(conversation, domain, runners["remote"], tmp_path / "remote.db", monkeypatch)

    assert remote["said"] == in_process["said"]
    assert remote["stored"] == in_process["stored"]
    assert remote["actions"] == in_process["actions"]
    ran = [name for name, _, _ in remote["actions"]]  # each went over HTTP to the server
    assert ran == RUN_ACTIONS.get(name_of(conversation), [])
    assert all(isinstance(result, dict) for _, _, result in remote["actions"])  # none failed


def test_assistant_from_config_with_an_action_endpoint_matches_in_process(server, tmp_path):
    """``Assistant.from_config(action_endpoint=...)``, as a deployment configures it, end to end."""
    script = dialogue.HOTEL_SCRIPT
    transcripts = {}
    for kind, endpoint in (("in_process", None), ("remote", f"{server.url}/webhook")):
        assistant = Assistant.from_config(ROOT / "data", store_url=str(tmp_path / f"{kind}.db"),
                                          action_endpoint=endpoint, parser=dialogue.ScriptedParser(*script),
                                          rng=random.Random(3), clock=Clock())
        with assistant:
            assert isinstance(assistant.action_runner,
                              RemoteActionRunner if endpoint else InProcessActionRunner)
            replies = [assistant.handle("carol", parse.text) for parse in script]
            replies.append(assistant.handle("carol", "yes"))
            state = assistant.state("carol")
            assert [t.status for t in state.tasks] == [COMPLETED, COMPLETED]
            assert state.task("hotel-1").slots["hotel-ref"] and state.task("taxi-1").slots["taxi-ref"]
            transcripts[kind] = (replies, without_timestamps(assistant.store.load("carol")))
    assert transcripts["remote"] == transcripts["in_process"]
    assert any("Acorn Guest House" in r["text"] and "booked" in r["text"].lower()
               for r in transcripts["remote"][0][-1]), transcripts["remote"][0][-1]
