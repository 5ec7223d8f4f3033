"""Actions that misbehave on purpose, served by a second rasa-sdk server in tests/test_actions.py."""

import asyncio

from rasa_sdk import Action
from rasa_sdk.events import SlotSet


class AlwaysFails(Action):
    def name(self):
        return "action_always_fails"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="this message is never sent")
        raise RuntimeError("the booking back end is down")


class Slow(Action):
    """Sleeps ``delay`` seconds (a slot, default 2): longer than the tests' timeouts."""

    def name(self):
        return "action_slow"

    async def run(self, dispatcher, tracker, domain):
        await asyncio.sleep(float(tracker.get_slot("delay") or 2.0))
        dispatcher.utter_message(text="finally done")
        return []


class AsyncEcho(Action):
    """An async action: echoes the user's text and intent and counts the tracker's events."""

    def name(self):
        return "action_async_echo"

    async def run(self, dispatcher, tracker, domain):
        await asyncio.sleep(0)
        intent = tracker.latest_message.get("intent", {}).get("name")
        dispatcher.utter_message(text=f"you said: {tracker.latest_message.get('text')}",
                                 buttons=[{"title": "again", "payload": f"/{intent}"}])
        return [SlotSet("event_count", len(tracker.events)), {"event": "followup", "timestamp": None,
                                                              "name": "action_listen"}]
