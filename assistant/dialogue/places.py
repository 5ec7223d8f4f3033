"""Places and values a new task takes from the other tasks of the conversation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.dialogue.base import TurnBase
from assistant.state import CANCELLED, COMPLETED
from policies import clock_time, cues, task_policy
from policies.cues import between_tasks, means_between, means_from_there, means_in_time, means_nearby, means_there
from policies.decisions import Decision, SetSlot
from policies.index import index

if TYPE_CHECKING:
    from assistant.state import Task


class PlacesFromTasks(TurnBase):
    """ "A taxi there", "dinner nearby", "the same area as the hotel", "in time for my table"."""

    def carried_over(self, task_id: str) -> list[Decision]:
        """A new task takes what other tasks told about the user: the party size, the day, the area of
        the hotel (recent facts only; the confirmation shows them, and the user can change them)."""
        task = self.state.task(task_id)
        if self.user is None or task is None:
            return []
        task_type = self.domain.tasks[task.type]
        defaults = self.user.profile.defaults_for(task.type, self.dm.clock())
        # where the user stays steers suggestions ("near your hotel"), and is a filter only when the
        # request says so ("what can I eat nearby?")
        if task_type.recommend and not means_nearby(self.said_now(task)):
            defaults = {s: v for s, v in defaults.items() if not s.endswith("-area")}
        return [SetSlot(slot, value, task_id) for slot, value in defaults.items()
                if slot in task_type.slot_names and task.slots.get(slot) is None]

    def place_or_offer(self, task: Task) -> Any:
        """The task's place, or while it is open the place it suggested and the user has not answered."""
        task_type = self.domain.tasks.get(task.type)
        place = task_type.schedule_value("place", task.slots) if task_type is not None else None
        if place is None and task.is_open:
            shown = self.unanswered_suggestion(task)
            place = shown.get("name") if shown else None
        return place

    def near_last_place(self, task_id: str) -> list[Decision]:
        """ "Dinner nearby" after the museum, with no hotel to be near: the area of the place the latest
        other task went to (or has on offer) becomes the new task's area."""
        task = self.state.task(task_id)
        recommender = self.dm.recommender
        if task is None or recommender is None or not means_nearby(self.said_now(task)):
            return []
        task_type = self.domain.tasks[task.type]
        area = next((s for s in task_type.slot_names if self.domain.slots[s].kind == "area"), None)
        if area is None or task.slots.get(area) is not None:
            return []  # where the user stays was "nearby" already, or the request named an area
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other_type is None or other.id == task.id or other.status == CANCELLED or not other_type.recommend:
                continue
            place = self.place_or_offer(other)
            item = recommender.find(other_type.recommend, place) if place is not None else None
            if item is not None and item.attributes.get("area"):
                return [SetSlot(area, item.attributes["area"], task.id)]
        return []

    def place_there(self, task_id: str, words: str | None = None) -> list[Decision]:
        """ "Book a table there", "a taxi there": the place of the latest other task (or the place it
        just suggested, still unanswered) fills the new task's place, when it is one: a venue of the
        new task's kind for its name (a restaurant for a table), any venue for a local ride's
        destination (a journey with a day goes to another town). ``words``: what the user said for
        the task (default: this message's words for it)."""
        task = self.state.task(task_id)
        said = (self.said_now(task) if words is None else words) if task is not None else ""
        # "between the hotel and the restaurant" may run past the ride's own words into the next request's
        named = between_tasks(self.parse.text if words is None and self.parse is not None else said, self.domain)
        if task is not None and (named or means_between(said)):
            return self.ride_between(task, named)
        if task is None or not means_there(said):
            return []
        task_type = self.domain.tasks[task.type]
        slot = next((s for s in task_type.schedule.get("place", ()) if task.slots.get(s) is None), None)
        spec = self.domain.slots.get(slot or "")
        if slot is None or spec is None:
            return []
        if spec.kind == "destination" and task_type.schedule.get("day"):
            return []
        recommender = self.dm.recommender
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other_type is None or other.id == task.id:
                continue
            timed = other_type.schedule_value("place", other.slots) is not None  # a suggestion has no time yet
            place = self.place_or_offer(other)  # "how about X?" "how do I get there?"
            if place is None or place in task.slots.values():
                continue  # "there" from the hotel is not the hotel: no ride from a place to itself
            if spec.kind == "name":
                if recommender is None or not task_type.recommend or \
                        recommender.find(task_type.recommend, place) is None:
                    continue  # "a table there" after a museum: no restaurant to book
            elif spec.kind != "destination":
                continue
            there = [SetSlot(slot, place, task.id)]
            if timed and spec.kind == "destination":
                there += task_policy.arrive_before(task, other, self.domain, self.dm.config.taxi_margin_minutes)
            return there
        return []

    def ride_between(self, task: Task, named: tuple[str, str] | None = None) -> list[Decision]:
        """ "A hotel, a table and a taxi between them": a local ride from the earlier of the two latest
        places of other tasks to the later one (from the hotel to the table), arriving before a booked
        time; nothing unless both places are known and the ride has neither end yet. ``named``: the
        task types said ("between the hotel and the restaurant"): from the first one's place to the
        second's, whatever the NLU made of those words."""
        task_type = self.domain.tasks[task.type]
        kinds = {self.domain.slots[s].kind: s for s in task_type.slot_names}
        origin, destination = kinds.get("origin"), kinds.get("destination")
        if origin is None or destination is None or task_type.schedule.get("day"):
            return []
        if named is None and (task.slots.get(origin) is not None or task.slots.get(destination) is not None):
            return []
        places: list[tuple[Task, str]] = []
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            place = other_type.schedule_value("place", other.slots) if other_type is not None else None
            if other.id != task.id and place is not None and other.status != CANCELLED \
                    and all(place != p for _, p in places) and all(other.type != t.type for t, _ in places):
                places.append((other, place))
        if named is not None:
            places = [next(((t, p) for t, p in places if t.type == name), (task, "")) for name in reversed(named)]
        if len(places) < 2 or not all(p for _, p in places[:2]):
            return []
        (later, to), (_, start) = places[:2]
        return [SetSlot(origin, start, task.id), SetSlot(destination, to, task.id),
                *task_policy.arrive_before(task, later, self.domain, self.dm.config.taxi_margin_minutes)]

    def in_time_for(self, task_id: str) -> list[Decision]:
        """ "A taxi to the restaurant in time for my reservation": the ride arrives before the booked
        time of the place it goes to (without a destination: the latest booked place with a time)."""
        task = self.state.task(task_id)
        if task is None or not means_in_time(self.said_now(task)):
            return []
        task_type = self.domain.tasks[task.type]
        destination = next((s for s in task_type.slot_names if self.domain.slots[s].kind == "destination"), None)
        if destination is None or task_type.schedule.get("day"):
            return []
        going_to = task.slots.get(destination)
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other_type is None or other.id == task.id or other.status == CANCELLED:
                continue
            place_slot = next((s for s in other_type.schedule.get("place", ()) if other.slots.get(s) is not None), None)
            place = other.slots.get(place_slot) if place_slot is not None else None
            timed = other_type.schedule_value("time", other.slots) is not None
            # a venue booked for a time (a table), not a journey's town
            if place is not None and timed and self.domain.slots[place_slot].kind == "name" \
                    and going_to in (None, place):
                there = [] if going_to is not None else [SetSlot(destination, place, task.id)]
                return there + task_policy.arrive_before(task, other, self.domain, self.dm.config.taxi_margin_minutes)
        return []

    def to_catch_the_train(self, task_id: str) -> list[Decision]:
        """ "A taxi to the station" with today's train booked from there: the ride arrives before the train
        leaves (the confirmation shows the time, so the user can change it). A train on another day, or
        one not booked yet, says nothing of when the ride is."""
        task = self.state.task(task_id)
        if task is None:
            return []
        task_type = self.domain.tasks[task.type]
        kinds = {self.domain.slots[s].kind: s for s in task_type.slot_names}
        destination = kinds.get("destination")
        if destination is None or task_type.schedule.get("day") \
                or not cues.STATION.search(str(task.slots.get(destination) or "")):
            return []
        today = datetime.fromtimestamp(self.dm.clock()).strftime("%A").lower()
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            leaves = other.slots.get(f"{other.type}-leaves")  # a booked train's own time, set by its action
            if other_type is None or other.status != COMPLETED or not leaves:
                continue  # the latest journey booked, not a table or a ride
            if str(other_type.schedule_value("day", other.slots) or "").lower() != today:
                return []
            times = task_type.schedule.get("time", ())
            arrival = next((s for s in times if self.domain.slots[s].kind == "arrival"), None)
            minutes = task_policy.to_minutes(leaves)
            margin = self.dm.config.taxi_margin_minutes
            if arrival is None or any(task.slots.get(s) is not None for s in times) or minutes is None \
                    or minutes < margin:
                return []
            return [SetSlot(arrival, clock_time.hhmm(minutes - margin), task.id)]
        return []

    def same_place_again(self, task: Task) -> list[Decision]:
        """ "Book the same restaurant again": the place of that kind booked last, in this conversation
        or an earlier one (the profile's history)."""
        task_type = self.domain.tasks.get(task.type)
        name_slot = index(self.domain).name_slot.get(task.type)
        if task_type is None or name_slot is None or task.slots.get(name_slot) is not None \
                or not cues.same_place(self.said_now(task)):
            return []
        for other in reversed(self.state.tasks):
            if other.type == task.type and other.id != task.id and other.status != CANCELLED \
                    and other.slots.get(name_slot):
                return [SetSlot(name_slot, other.slots[name_slot], task.id)]
        history = self.user.profile.history if self.user is not None else ()
        name = next((h.name for h in reversed(history)
                     if h.event == "booked" and h.kind == task_type.recommend and h.name), None)
        return [SetSlot(name_slot, name, task.id)] if name else []

    def same_as_before(self, task: Task) -> list[Decision]:
        """ "A restaurant in the same area", "the same price range as the hotel": the value another task
        has for a slot of that kind (the latest one, or the task named), read from the place it chose
        when it chose one (a hotel booked by name has no area slot, but its place is in an area)."""
        words = self.said_now(task) or (self.parse.text if self.parse is not None else "")
        out: list[Decision] = []
        for kind, named in cues.same_as(words, self.domain):
            slot = next((s for s in self.domain.tasks[task.type].slot_names if self.domain.slots[s].kind == kind), None)
            value = self._value_of_kind(task, kind, named) if slot is not None else None
            if slot is not None and value is not None and task.slots.get(slot) != value:
                out.append(SetSlot(slot, value, task.id))
        return out

    def _value_of_kind(self, task: Task, kind: str, named: str | None) -> Any:
        recommender = self.dm.recommender
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other.id == task.id or other.status == CANCELLED or other_type is None \
                    or named not in (None, other.type):
                continue
            place = other_type.schedule_value("place", other.slots)
            item = recommender.find(other_type.recommend, place) \
                if place and other_type.recommend and recommender is not None else None
            if item is not None and item.attributes.get(kind) not in (None, ""):
                return item.attributes[kind]
            value = next((other.slots[s] for s in other_type.slot_names
                          if self.domain.slots[s].kind == kind and other.slots.get(s) is not None), None)
            if value is not None:
                return value
        return None

    def start_from_there(self, task_id: str) -> list[Decision]:
        """ "A taxi home afterwards", "a cab from there": the ride starts at the place of the latest
        other task that has one (the table just booked), other than where the ride goes ("home" is the
        hotel, booked after the table)."""
        task = self.state.task(task_id)
        if task is None or not means_from_there(self.said_now(task)):
            return []
        task_type = self.domain.tasks[task.type]
        kinds = {self.domain.slots[s].kind: s for s in task_type.slot_names}
        origin, destination = kinds.get("origin"), kinds.get("destination")
        if origin is None or task.slots.get(origin) is not None or task_type.schedule.get("day"):
            return []  # a journey with a day leaves from a station, not from the restaurant
        going_to = task.slots.get(destination) if destination else None
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            place = other_type.schedule_value("place", other.slots) if other_type is not None else None
            if other.id != task.id and place is not None and other.status != CANCELLED and place != going_to:
                return [SetSlot(origin, place, task.id)]
        return []
