"""The city concierge's fulfilment actions: rasa-sdk actions over MultiWOZ-style slots.

Each booking action checks its slots from the tracker, makes a booking reference that
depends only on the sender id and the booked details (so runs are reproducible), confirms
in one message and sets ``<task>-ref``. Missing or invalid slots make it reject
(``ActionExecutionRejection``), so the dialogue manager can ask for them and nothing is booked.

There is no booking back end yet; these actions are where one will be called.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date
from abc import ABC, abstractmethod
from typing import Any, Callable

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from . import venues
from .timetable import WEEKDAYS, Train, default_timetable, station_name

MAX_PEOPLE = 20
MAX_NIGHTS = 30

Check = Callable[[Any], Any]  # raw slot value -> canonical value, or None when invalid


def as_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# the words policies/words.py reads with "the" too: action code runs on a rasa-sdk server and imports
# only rasa_sdk, so it keeps its own copy
_COMMON_PLACE = re.compile(
    r"^(?:[a-z]+ )*(?:station|airport|hotel|restaurant|museum|college|cinema|theatre|park|gallery|centre|"
    r"market|church|cathedral|hospital|university|zoo|guesthouse|attraction|port|harbour)$")


def place_text(value: str) -> str:
    """ "train station" -> "the train station" (a place named by what it is); names as they are."""
    if value == value.lower() and _COMMON_PLACE.match(value) and not value.startswith(("the ", "my ", "our ")):
        return f"the {value}"
    return value


def as_count(upper: int) -> Check:
    def check(value: Any) -> int | None:
        """4, 4.0 (the domain's float slots) or "4" -> 4; None outside 1..upper."""
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) and 1 <= value <= upper else None

    return check


as_people = as_count(MAX_PEOPLE)
as_nights = as_count(MAX_NIGHTS)

_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE)


def as_time(value: Any) -> str | None:
    """'19:00', '7.30 pm', '7pm' -> 'HH:MM' (24 h)."""
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match[2] is None:
        return None  # a bare "7" is not a time
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


def as_day(value: Any) -> str | None:
    """A weekday name or an ISO date, as the NLU normalises days ('friday', '2025-05-02')."""
    day = value.strip().lower() if isinstance(value, str) else None
    if day in WEEKDAYS:
        return day
    try:
        return date.fromisoformat(day).isoformat() if day and len(day) == 10 else None
    except ValueError:
        return None


def day_text(day: str) -> str:
    """'friday' -> 'Friday'; '2025-05-02' -> 'Friday 2 May'."""
    if day in WEEKDAYS:
        return day.title()
    parsed = date.fromisoformat(day)
    return f"{parsed:%A} {parsed.day} {parsed:%B}"


def booking_reference(sender_id: str, task: str, details: dict[str, Any]) -> str:
    """Eight characters like MultiWOZ's references, the same for the same sender and details."""
    key = json.dumps([sender_id, task, details], sort_keys=True, default=str).encode()
    return base64.b32encode(hashlib.sha256(key).digest()).decode()[:8]


class BookingAction(Action, ABC):
    """Checks ``required`` slots (and at least one of ``one_of``), then books and confirms.

    Abstract, so rasa-sdk (which registers every imported Action subclass) skips it.
    """

    task = ""
    required: dict[str, Check] = {}
    one_of: dict[str, Check] = {}

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def confirmation(self, details: dict[str, Any], reference: str) -> str: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        details = self.checked_slots(tracker)
        reference = booking_reference(tracker.sender_id, self.task, details)
        dispatcher.utter_message(text=self.confirmation(details, reference))
        return [SlotSet(f"{self.task}-ref", reference)]

    def checked_slots(self, tracker: Tracker) -> dict[str, Any]:
        """Canonical values of the slots this action needs; rejects naming every missing or bad one."""
        details, missing, invalid = {}, [], []
        for slot, check in self.required.items():
            _check_slot(tracker, slot, check, details, missing, invalid)
        if self.one_of:
            filled = [slot for slot in self.one_of if tracker.get_slot(slot) not in (None, "")]
            for slot in filled:
                _check_slot(tracker, slot, self.one_of[slot], details, missing, invalid)
            if not filled:
                missing.append(" or ".join(self.one_of))
        if missing or invalid:
            problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
                [f"invalid {', '.join(invalid)}"] if invalid else [])
            raise ActionExecutionRejection(self.name(), f"cannot {self.name()[len('action_'):]}: {'; '.join(problems)}")
        return details


def _check_slot(tracker: Tracker, slot: str, check: Check, details: dict, missing: list, invalid: list) -> None:
    raw = tracker.get_slot(slot)
    if raw in (None, ""):
        missing.append(slot)
    elif (value := check(raw)) is None:
        invalid.append(f"{slot}={raw!r}")
    else:
        details[slot] = value


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


class BookRestaurant(BookingAction):
    task = "restaurant"
    required = {"restaurant-name": as_text, "restaurant-bookpeople": as_people,
                "restaurant-bookday": as_day, "restaurant-booktime": as_time}

    def name(self) -> str:
        return "action_book_restaurant"

    def confirmation(self, d: dict[str, Any], reference: str) -> str:
        return (f"Your table at {d['restaurant-name']} for {_plural(d['restaurant-bookpeople'], 'person', 'people')} "
                f"on {day_text(d['restaurant-bookday'])} at {d['restaurant-booktime']} is booked. "
                f"Reference: {reference}.")


class BookHotel(BookingAction):
    task = "hotel"
    required = {"hotel-name": as_text, "hotel-bookday": as_day, "hotel-bookstay": as_nights,
                "hotel-bookpeople": as_people}

    def name(self) -> str:
        return "action_book_hotel"

    def confirmation(self, d: dict[str, Any], reference: str) -> str:
        return (f"You're booked at {d['hotel-name']}: {_plural(d['hotel-bookstay'], 'night')} from "
                f"{day_text(d['hotel-bookday'])} for {_plural(d['hotel-bookpeople'], 'guest')}. "
                f"Reference: {reference}.")


def _timing(d: dict[str, Any], task: str) -> str:
    """'leaving at 17:00', 'arriving by 09:00', or both, from the task's leaveat/arriveby slots."""
    parts = []
    if f"{task}-leaveat" in d:
        parts.append(f"leaving at {d[f'{task}-leaveat']}")
    if f"{task}-arriveby" in d:
        parts.append(f"arriving by {d[f'{task}-arriveby']}")
    return ", ".join(parts)


# MultiWOZ's taxi companies: the car that comes is one of these, in one of these colours
TAXI_COLOURS = ("black", "white", "red", "yellow", "blue", "grey")
TAXI_MAKES = ("Toyota", "Skoda", "BMW", "Honda", "Ford", "Audi", "Lexus", "Volvo", "Volkswagen", "Tesla")


def taxi_car(reference: str) -> tuple[str, str]:
    """The car and the driver's phone number for a booking (the same for the same reference)."""
    digest = hashlib.sha256(reference.encode()).digest()
    car = f"{TAXI_COLOURS[digest[0] % len(TAXI_COLOURS)]} {TAXI_MAKES[digest[1] % len(TAXI_MAKES)]}"
    phone = "07" + "".join(str(b % 10) for b in digest[2:11])
    return car, phone


def phone_text(phone: str) -> str:
    """'07218068540' -> '07218 068540', as UK mobile numbers are written."""
    return f"{phone[:5]} {phone[5:]}" if len(phone) == 11 else phone


class BookTaxi(BookingAction):
    """Books the ride, says which car comes and how to call it (MultiWOZ's taxi-type and taxi-phone),
    and keeps both for questions afterwards ("what's the contact number?")."""

    task = "taxi"
    required = {"taxi-departure": as_text, "taxi-destination": as_text}
    one_of = {"taxi-leaveat": as_time, "taxi-arriveby": as_time}

    def name(self) -> str:
        return "action_book_taxi"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        events = super().run(dispatcher, tracker, domain)
        car, phone = taxi_car(events[0]["value"])
        return events + [SlotSet("taxi-type", car), SlotSet("taxi-phone", phone)]

    def confirmation(self, d: dict[str, Any], reference: str) -> str:
        when = _timing(d, "taxi")
        route = f"from {place_text(d['taxi-departure'])} to {place_text(d['taxi-destination'])}"
        car, phone = taxi_car(reference)
        return (f"A taxi {route}, {when}, is booked: {'an' if car[0] in 'aeiou' else 'a'} {car}, contact number "
                f"{phone_text(phone)}. Reference: {reference}.")


class BookTrain(BookingAction):
    """Books the train of the timetable that fits (the first leaving at or after the time asked, or
    the last arriving by it). When none does, it says why and unsets the slot that cannot be met,
    so the dialogue asks for it again; nothing is booked."""

    task = "train"
    required = {"train-departure": as_text, "train-destination": as_text, "train-day": as_day,
                "train-bookpeople": as_people}
    one_of = {"train-leaveat": as_time, "train-arriveby": as_time}

    def name(self) -> str:
        return "action_book_train"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        d = self.checked_slots(tracker)
        choice = default_timetable().choose(d["train-departure"], d["train-destination"], d["train-day"],
                                            d.get("train-leaveat"), d.get("train-arriveby"))
        if choice.train is None:
            dispatcher.utter_message(text=choice.message)
            return [SlotSet(choice.problem, None)]
        reference = booking_reference(tracker.sender_id, self.task, {**d, "train_id": choice.train.train_id})
        d["train"] = choice.train
        dispatcher.utter_message(text=self.confirmation(d, reference))
        # what the user may ask about afterwards ("how long is the journey?", "what's the train id?")
        train = choice.train
        return [SlotSet("train-ref", reference), SlotSet("train-trainid", train.train_id),
                SlotSet("train-price", f"£{train.price:.2f}"), SlotSet("train-duration", train.duration),
                SlotSet("train-leaves", train.leaveat), SlotSet("train-arrives", train.arriveby)]

    def confirmation(self, d: dict[str, Any], reference: str) -> str:
        train: Train = d["train"]
        people = d["train-bookpeople"]
        return (f"{_plural(people, 'ticket')} booked on {train.train_id}, leaving {station_name(train.departure)} at "
                f"{train.leaveat} and arriving at {station_name(train.destination)} at {train.arriveby} on "
                f"{day_text(d['train-day'])}: £{train.price * people:.2f} in all. Reference: {reference}.")


class FindAttraction(BookingAction):
    """A chosen sight: where it is and what entry costs, from the catalogue (nothing to book); a
    search with no place the catalogue knows is filed under a reference."""

    task = "attraction"
    one_of = {"attraction-type": as_text, "attraction-area": as_text, "attraction-name": as_text}

    def name(self) -> str:
        return "action_find_attraction"

    def confirmation(self, d: dict[str, Any], reference: str) -> str:
        item = venues.find("attraction", d.get("attraction-name", ""))
        if item is not None:
            return f"{venues.visit_text(item)} Enjoy your visit!"
        what = d.get("attraction-name") or d.get("attraction-type", "an attraction")
        where = f" in the {d['attraction-area']}" if "attraction-area" in d else ""
        return f"I've noted your search for {what}{where}. Reference: {reference}."


class CancelBooking(Action):
    """Cancels the booking whose reference the task's ``<task>-ref`` slot holds (the dialogue manager
    passes the slots of the task being cancelled) and clears that slot."""

    def name(self) -> str:
        return "action_cancel_booking"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        references = {slot: value for slot, value in tracker.slots.items()
                      if slot.endswith("-ref") and as_text(value)}
        if len(references) != 1:
            raise ActionExecutionRejection(self.name(), "no single booking reference among the slots")
        [(slot, reference)] = references.items()
        task = slot[: -len("-ref")]
        dispatcher.utter_message(text=f"Your {task} booking {reference} is cancelled.")
        return [SlotSet(slot, None)]


class ValidateRestaurantForm(FormValidationAction):
    """Validates the restaurant form's slots as the user gives them, asking again for a bad value.

    Slot names have hyphens but method names cannot: rasa-sdk (3.x) looks up
    ``validate_<slot name with '-' replaced by '_'>``, so ``restaurant-bookpeople`` is
    validated by ``validate_restaurant_bookpeople`` (and extracted by ``extract_restaurant_bookpeople``).
    The returned dict is keyed by the real, hyphenated slot name.
    """

    def name(self) -> str:
        return "validate_restaurant_form"

    def validate_restaurant_bookpeople(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: dict) -> dict[str, Any]:
        people = as_people(value)
        if people is None:
            dispatcher.utter_message(text=f"For how many people? I can book tables for 1 to {MAX_PEOPLE}.")
        return {"restaurant-bookpeople": people}

    def validate_restaurant_booktime(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: dict) -> dict[str, Any]:
        time = as_time(value)
        if time is None:
            dispatcher.utter_message(text="What time would you like the table? For example 19:30.")
        return {"restaurant-booktime": time}

    def validate_restaurant_bookday(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict) -> dict[str, Any]:
        day = as_day(value)
        if day is None:
            dispatcher.utter_message(text="Which day would you like to book? For example Friday.")
        return {"restaurant-bookday": day}
