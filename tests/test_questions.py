"""Questions about a place or a booking: what is asked, about which place, and the answer's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.domain import load_domain
from assistant.state import DialogueState, Task
from nlu.types import ParsedEntity
from policies.context import Pending, Request
from policies.decisions import SUGGESTION
from policies.questions import (Subject, answer_text, asked, asks_besides, distance_answer, distance_reference,
                               unknown_reference,
                                only_asks, subject, yes_or_no)

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def domain():
    return load_domain(DATA / "domain.yml")


def request(text, intent="inform", **entities):
    return Request(text, intent, 0.9, tuple(ParsedEntity(k.replace("_", "-"), v, 0, 0, 0.9, "test", str(v))
                                           for k, v in entities.items()))


@pytest.mark.parametrize("text,wanted", [
    ("what is the address?", ("address",)),
    ("Can I get the phone number and postcode please", ("phone", "postcode")),
    ("I need the reference number", ("reference",)),
    ("how long is the journey and what is the train id?", ("duration", "trainid")),  # in the order asked
    ("Does it have free wifi?", ("internet",)),
    ("is there free parking?", ("parking",)),
    ("how many stars does it have", ("stars",)),
    ("what kind of food do they serve?", ("food",)),
    ("how much is it to get in?", ("entrance_fee",)),
    ("what time does my train leave?", ("leaveat",)),
    ("what time is our train?", ("leaveat",)),
    ("when does my train get in?", ("arriveby",)),
    ("when do we arrive?", ("arriveby",)),
    ("tell me more about it", ("about",)),
    ("Is the Kingsmere Hotel in the north?", ("area",)),
    ("do they serve vegetarian food?", ("vegetarian",)),
    ("are there any vegan or gluten-free options?", ("vegan", "gluten_free")),
    ("any vegan places?", ()),
    ("I'm vegetarian", ()),
    ("is that near the city centre?", ("area",)),
    ("is it close to the centre?", ("area",)),
    ("is it central?", ("area",)),
    ("is it far?", ("distance",)),
    ("how far is it from my hotel?", ("distance",)),
    ("is it within walking distance of the hotel?", ("distance",)),
    ("no, it's too far from my hotel", ()),  # a reason to turn the place down, not a question
    # search filters, not questions about one place
    ("Is there a hotel in the north?", ()),
    ("I need a hotel with free wifi", ()),
    ("I need free parking", ()),
    ("is there a hotel with free parking in the north?", ()),
    ("Are there any cheap ones?", ()),
    ("I want a moderate price range", ()),
    ("cheap please", ()),
    ("", ()),
])
def test_what_a_message_asks(text, wanted):
    assert asked(text) == wanted


def test_a_question_with_a_booking_or_other_details_is_left_to_the_booking(domain):
    assert only_asks(request("does it have free wifi?", hotel_internet="yes"), ("internet",), domain)
    assert only_asks(request("what's the address of Ashcombe Museum?", attraction_name="Ashcombe Museum"),
                     ("address",), domain)
    assert not only_asks(request("yes, what's the reference number?"), ("reference",), domain)
    assert not only_asks(request("book it and give me the reference"), ("reference",), domain)
    assert not only_asks(request("what's the address? we are 4", restaurant_bookpeople=4), ("address",), domain)


def named(text, name, intent="find_hotel", **entities):
    """A request naming a hotel where its words are, and other entities as ``request`` gives them."""
    start = text.index(name)
    entity = ParsedEntity("hotel-name", name, start, start + len(name), 0.9, "test", name)
    return Request(text, intent, 0.9, (entity,) + request(text, **entities).entities)


def test_a_place_chosen_by_name_is_more_than_a_question(domain):
    chosen = named("I'd like the Kingsmere Hotel. Does it have parking?", "Kingsmere Hotel", hotel_parking="yes")
    assert not only_asks(chosen, ("parking",), domain)
    assert asks_besides(chosen, ("parking",), domain)  # answered, and the hotel taken
    assert only_asks(named("Is the Kingsmere Hotel cheap? does it have parking?", "Kingsmere Hotel"),
                     ("price", "parking"), domain)
    assert only_asks(named("what would I like at the Kingsmere Hotel? what's it like?", "Kingsmere Hotel"),
                     ("about",), domain)


def test_a_question_about_the_place_rides_along_with_a_yes_or_a_booking(domain):
    assert asks_besides(request("sounds good, what's the address?"), ("address",), domain)
    assert asks_besides(request("book it for 2. is it expensive?", restaurant_bookpeople=2), ("price",), domain)
    assert asks_besides(request("what's the address? also I need a taxi"), ("address",), domain)
    # about the booking being made: its confirmation answers
    assert not asks_besides(request("yes, what's the reference number?"), ("reference",), domain)
    # the search changes: the place asked about is about to be replaced
    assert not asks_besides(request("in the east please, what's the address?", hotel_area="east"),
                            ("address",), domain)
    assert not asks_besides(request("I want one with parking, does it have wifi?", hotel_parking="yes"),
                            ("internet",), domain)
    assert not asks_besides(request("yes please"), (), domain)


def test_which_place_a_question_is_about(domain):
    state = DialogueState("u", tasks=[
        Task("hotel-1", "hotel", {"hotel-name": "Lockside Guesthouse", "hotel-ref": "AB12"}, status="completed",
             updated_turn=2),
        Task("train-1", "train", {"train-ref": "TR1", "train-trainid": "TR3894"}, status="completed", updated_turn=3),
        Task("restaurant-1", "restaurant", {"restaurant-area": "centre"}, updated_turn=4),
    ], focus="restaurant-1")
    suggestion = Pending(SUGGESTION, "restaurant-1", recommendation={"kind": "restaurant", "name": "Curry Garden"})
    # named in the message, then the task it names, then the suggestion waiting, then the latest booking
    named = subject(request("address of Ashcombe Museum?", attraction_name="Ashcombe Museum"), state, domain, None)
    assert (named.kind, named.name) == ("attraction", "Ashcombe Museum")
    assert subject(request("the reference for the hotel?"), state, domain, suggestion).name == "Lockside Guesthouse"
    assert subject(request("what's the address?"), state, domain, suggestion).name == "Curry Garden"
    assert subject(request("how long is the journey?"), state, domain, None).kind == "train"
    assert subject(request("what's the address?"), DialogueState("u"), domain, None) is None
    # a search filter asked with no place in sight is about no booking made earlier
    assert subject(request("does it have wifi?"), state, domain, None, ("internet",)) is None
    assert subject(request("what's the reference?"), state, domain, None, ("reference",)).kind == "train"
    # with nothing in focus, the place booked last is the one asked about ("do they have vegetarian options?")
    booked = DialogueState("u", tasks=[
        Task("hotel-1", "hotel", {"hotel-name": "Lockside Guesthouse", "hotel-ref": "AB12"}, status="completed",
             updated_turn=2),
        Task("restaurant-1", "restaurant", {"restaurant-name": "La Paellera", "restaurant-ref": "CD34"},
             status="completed", updated_turn=4)])
    assert subject(request("do they have vegetarian options?"), booked, domain, None, ("vegetarian",)).name == \
        "La Paellera"
    # the train being planned, asked about before it is found: that train ("isn't booked yet"), not nothing
    planning = DialogueState("u", tasks=[Task("train-1", "train", {"train-destination": "london"})], focus="train-1")
    about = subject(request("how long is the journey?"), planning, domain, None, ("duration",))
    assert (about.kind, about.task_id) == ("train", "train-1")
    assert answer_text(about, ("duration",), None).startswith("The train isn't booked yet")
    assert subject(request("does it have wifi?"), planning, domain, None, ("internet",)) is None


def test_answers_say_what_the_catalogue_and_the_booking_hold():
    hotel = Subject("hotel", "meadowsweet cottage", "hotel-1", {"hotel-ref": "WM3KZT6K"})
    attributes = {"area": "west", "street": "7 Larch Close", "internet": False, "parking": True, "stars": 3,
                  "pricerange": "cheap", "type": "guesthouse"}
    assert answer_text(hotel, ("address", "internet", "parking"), attributes) == \
        "Meadowsweet Cottage is at 7 Larch Close, in the west. It has no wifi. It has free parking."
    assert answer_text(hotel, ("stars", "price", "reference"), attributes) == \
        "Meadowsweet Cottage has 3 stars. It is a cheap place. " \
        "Your reference for Meadowsweet Cottage is WM3KZT6K."
    # what the catalogue does not keep is said plainly
    assert answer_text(hotel, ("phone",), attributes) == "I'm afraid I don't have the phone number of Meadowsweet Cottage."
    museum = Subject("attraction", "Ashcombe Museum")
    assert answer_text(museum, ("price",), {"entrance_fee": "free"}) == "Entry to Ashcombe Museum is free."
    assert answer_text(museum, ("entrance_fee",), {"entrance_fee": "£4.00"}) == "Entry to Ashcombe Museum costs £4.00."
    assert answer_text(Subject("attraction", "Parkside Pools"), ("type",), {"type": "swimmingpool"}) == \
        "Parkside Pools is a swimming pool."  # the type as the suggestions say it
    assert answer_text(Subject("restaurant", None), ("reference",), None, label="restaurant booking") == \
        "The restaurant booking isn't booked yet, so there's no reference."


def test_a_yes_or_no_question_is_answered_yes_or_no_first():
    attributes = {"area": "centre", "pricerange": "moderate", "internet": True, "parking": False}
    hotel = Subject("hotel", "The Orchard Guesthouse")
    assert answer_text(hotel, ("area",), attributes, question="Is it in the north?") == \
        "No, the Orchard Guesthouse is in the centre."
    assert answer_text(hotel, ("internet",), attributes, question="does it have free wifi?") == \
        "Yes, the Orchard Guesthouse has free wifi."
    assert yes_or_no("and is it expensive?", ("price",), attributes) == "No"
    assert yes_or_no("is it moderately priced?", ("price",), attributes) == "Yes"
    assert yes_or_no("does it have parking?", ("parking",), attributes) == "No"
    assert yes_or_no("is it free?", ("entrance_fee",), {"entrance_fee": "free"}) == "Yes"
    assert answer_text(Subject("attraction", "Ashcombe Museum"), ("entrance_fee",), {"entrance_fee": "free"},
                       question="is it free to get in?") == "Yes, entry to Ashcombe Museum is free."
    assert yes_or_no("is it cheap or expensive?", ("price",), attributes) is None
    assert yes_or_no("is it close to the centre?", ("area",), attributes) == "Yes"
    assert yes_or_no("is it central?", ("area",), {"area": "north"}) == "No"
    # not a yes/no question, several things asked, or the catalogue silent: the facts alone
    assert yes_or_no("what area is it in?", ("area",), attributes) is None
    assert yes_or_no("does it have wifi and parking?", ("internet", "parking"), attributes) is None
    assert yes_or_no("is it in the north?", ("area",), {}) is None
    assert answer_text(hotel, ("address",), {"street": "15 Orchard Way"}, question="is it near here?") == \
        "The Orchard Guesthouse is at 15 Orchard Way."


def test_diets_are_answered_from_the_catalogue(domain):
    place = Subject("restaurant", "Forno Rosso")
    attributes = {"vegetarian_options": True, "vegan_options": False}
    assert answer_text(place, ("vegetarian",), attributes, question="do they serve vegetarian food?") == \
        "Yes, Forno Rosso has vegetarian options."
    assert answer_text(place, ("vegan",), attributes, question="is there anything vegan?") == \
        "No, Forno Rosso has no vegan options."
    assert answer_text(place, ("halal",), attributes) == "I don't know whether Forno Rosso has halal food."
    # the diet the NLU tags in the question is what is asked, not a new filter
    asking = request("do they serve vegetarian food?", "find_restaurant", diet="vegetarian")
    assert only_asks(asking, ("vegetarian",), domain)


def test_several_things_the_catalogue_does_not_keep_are_said_in_one_sentence():
    place = Subject("restaurant", "Red Lantern Dumplings", None, None)
    # was one "I'm afraid I don't have ..." for each
    assert answer_text(place, ("phone", "postcode"), {"area": "north"}) == \
        "I'm afraid I don't have the phone number or postcode of Red Lantern Dumplings."
    assert answer_text(place, ("phone",), {"area": "north", "phone": "01223 000000"}) == \
        "The phone number of Red Lantern Dumplings is 01223 000000."


def test_a_booked_taxi_answers_its_car_and_contact_number(domain):
    assert asked("what is the car type and contact number?") == ("car", "phone")
    assert asked("what colour is the car?") == asked("what kind of car is it?") == ("car",)
    assert "car" not in asked("which car park is closest?")  # parking, not the taxi
    taxi = Subject("taxi", None, "taxi-1", {"taxi-ref": "53ZIK6OM", "taxi-type": "red BMW",
                                            "taxi-phone": "07092567442"})
    assert answer_text(taxi, ("car", "phone"), None) == \
        "Your taxi is a red BMW. The taxi's contact number is 07092 567442."
    assert answer_text(taxi, ("address",), None) == \
        "I only have the car, the contact number and the booking reference of the taxi."
    # asked while the ride is still being arranged: not booked yet, and no other booking answers for it
    planning = DialogueState("u", tasks=[Task("taxi-1", "taxi", {"taxi-destination": "station"})], focus="taxi-1")
    about = subject(request("what car is it?"), planning, domain, None, ("car",))
    assert about.task_id == "taxi-1" and answer_text(about, ("car",), None).startswith("The taxi isn't booked yet")


def test_a_booked_train_answers_its_times_fare_and_journey():
    train = Subject("train", None, "train-1", {"train-trainid": "TR3894", "train-price": "£15.21",
                                               "train-duration": 83, "train-leaves": "08:33", "train-arrives": "09:56"})
    assert answer_text(train, ("trainid", "duration"), None) == "Your train is TR3894. The journey takes 1 h 23 min."
    assert answer_text(train, ("leaveat", "arriveby", "price"), None) == \
        "TR3894 leaves at 08:33. TR3894 arrives at 09:56. Tickets on TR3894 cost £15.21 each."
    assert answer_text(Subject("train", None, "train-2", {}), ("duration",), None).startswith(
        "The train isn't booked yet")


@pytest.mark.parametrize("text, feature, of_it", [
    ("does it have a pool?", "pool", True),
    ("is breakfast included?", "breakfast", True),
    ("is it wheelchair accessible?", "wheelchair access", True),
    ("and is it dog friendly?", "dog friendly", True),
    ("is it open late?", "late opening", True),
    ("does the hotel have a spa?", "spa", True),
    ("is it any good?", "about", True),
    ("is there a swimming pool?", "pool", False),  # a question or a search: the place's kind decides
])
def test_a_thing_asked_of_a_place(text, feature, of_it):
    from policies.questions import FeatureAsked, asked_feature
    assert asked_feature(text) == FeatureAsked(feature, of_it)


def test_what_is_no_question_about_a_things_place_has():
    from policies.questions import asked_feature
    assert asked_feature("is there parking?") is None  # asked of its own
    assert asked_feature("I need a hotel with a pool") is None
    assert asked_feature("book it please") is None


def test_a_thing_a_place_has_or_is_is_answered_from_its_features():
    from policies.questions import feature_answer
    known = ["pool", "gym", "quiet", "late opening"]
    assert feature_answer("Kingsmere Hotel", "pool", ["pool", "spa"], known) == "Yes, Kingsmere Hotel has a pool."
    assert feature_answer("Kingsmere Hotel", "quiet", ["quiet"], known) == "Yes, Kingsmere Hotel is quiet."
    assert feature_answer("Kingsmere Hotel", "gym", ["pool"], known) == \
        "Not as far as I know: Kingsmere Hotel doesn't list a gym."
    assert feature_answer("Kingsmere Hotel", "quiet", [], known) == \
        "Not as far as I know: Kingsmere Hotel isn't listed as quiet."
    assert feature_answer("Kingsmere Hotel", "late opening", [], known) == \
        "Not as far as I know: Kingsmere Hotel doesn't list late opening."
    assert feature_answer("Kingsmere Hotel", "sauna", ["pool"], known) == \
        "I'm afraid I don't know that about Kingsmere Hotel."


def test_how_far_measures_from_the_place_named_else_the_hotel_else_the_centre(domain):
    hotel = Task("hotel-1", "hotel", {"hotel-name": "Lockside Guesthouse"}, status="completed", updated_turn=1)
    museum = Task("attraction-1", "attraction", {"attraction-name": "Ashcombe Museum"}, status="completed",
                  updated_turn=2)
    state = DialogueState("u", tasks=[hotel, museum, Task("restaurant-1", "restaurant", updated_turn=3)],
                          focus="restaurant-1")
    suggestion = Pending(SUGGESTION, "restaurant-1", recommendation={"kind": "restaurant", "name": "Curry Garden"})
    about = Subject("restaurant", "Curry Garden", "restaurant-1")
    # "my hotel" is what it is measured from, not what is asked about
    asked_about = subject(request("is it far from my hotel?"), state, domain, suggestion, ("distance",))
    assert asked_about.name == "Curry Garden"
    assert distance_reference("is it far from my hotel?", about, state, domain).name == "Lockside Guesthouse"
    assert distance_reference("how far is it from the museum?", about, state, domain).name == "Ashcombe Museum"
    assert distance_reference("is it far?", about, state, domain).name == "Lockside Guesthouse"
    assert distance_reference("is it far from the centre?", about, state, domain) is None
    assert distance_reference("is it far?", about, DialogueState("u"), domain) is None  # no hotel: the centre
    # the hotel asked about is not measured from itself
    assert distance_reference("is it far?", Subject("hotel", "Lockside Guesthouse"), state, domain) is None


def test_how_far_from_a_place_the_conversation_lacks_says_so(domain):
    about = Subject("restaurant", "Curry Garden", "restaurant-1")
    empty = DialogueState("u")
    assert unknown_reference("is it far from my hotel?", about, empty, domain) == "your hotel"
    assert unknown_reference("how far is it from the museum?", about, empty, domain) == "the museum"
    assert unknown_reference("is it close to hotel?", about, empty, domain) == "the hotel"
    # no place named, the centre, or a place the conversation has: nothing to own up to
    assert unknown_reference("is it far?", about, empty, domain) is None
    assert unknown_reference("how far is it from here?", about, empty, domain) is None
    assert unknown_reference("how far is it to walk?", about, empty, domain) is None
    assert unknown_reference("is it far from the centre?", about, empty, domain) is None
    hotel = Task("hotel-1", "hotel", {"hotel-name": "Lockside Guesthouse"}, status="completed", updated_turn=1)
    assert unknown_reference("is it far from my hotel?", about, DialogueState("u", tasks=[hotel]), domain) is None
    assert distance_answer("Curry Garden", "east", None, None, unknown="your hotel") == (
        "I don't know where your hotel is, so from the centre: Curry Garden is in the east of town, outside the centre.")


@pytest.mark.parametrize("area, other, other_area, words", [
    ("north", "Lockside Guesthouse", "north", "are both in the north, so they're close to each other."),
    ("centre", "Lockside Guesthouse", "north", "neighbouring parts of town."),
    ("south", "Lockside Guesthouse", "north", "on opposite sides of town."),
    ("east", "Lockside Guesthouse", "north", "across the centre from each other."),
    ("east", None, None, "Curry Garden is in the east of town, outside the centre."),
    ("centre", None, None, "Curry Garden is in the centre of town."),
    (None, None, None, "I don't know which part of town Curry Garden is in."),
])
def test_how_far_is_said_by_the_parts_of_town(area, other, other_area, words):
    assert distance_answer("Curry Garden", area, other, other_area).endswith(words)
