"""The assistant's domain (``data/domain.yml``): intents, entities, slots, task types and responses.

``load_domain`` reads the file with line marks (yaml's node graph, as the NLU
loader does) so that every problem names its file and line; ``validate_domain``
checks the domain against the NLU data. The ``Domain`` is immutable data plus
pure helpers that policies use: which task an intent belongs to, which slots a
task still misses, how to word a response, and the JSON rasa-sdk expects.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nlu.errors import DataError

if TYPE_CHECKING:
    from nlu.types import TrainingData

SLOT_TYPES = ("text", "float", "bool", "categorical", "list", "any")
GOALS = ("find", "book")
TASK_RESPONSE_ROLES = ("done", "confirm", "offer", "taste")

# Responses the dialogue manager utters by purpose; every domain must define them.
GENERAL_RESPONSES: dict[str, str] = {
    "greet": "utter_greet",
    "bye": "utter_goodbye",
    "thank": "utter_youre_welcome",
    "help": "utter_help",
    "fallback": "utter_default",
    "clarify": "utter_clarify",
    "out_of_scope": "utter_out_of_scope",
    "suspend": "utter_suspend_task",
    "resume": "utter_resume_task",
    "queue": "utter_queue_task",
    "queue_many": "utter_queue_tasks",
    "remind": "utter_remind_task",
    "expired": "utter_task_expired",
    "cancel": "utter_cancel_task",
    "nothing_to_cancel": "utter_nothing_to_cancel",
    "cancel_booking": "utter_ask_cancel_booking",
    "keep_booking": "utter_booking_kept",
    "which_task": "utter_ask_which_task",
    "merged": "utter_task_merged",
    "corrected": "utter_slot_corrected",
    "invalid": "utter_invalid_value",
    "ask_change": "utter_ask_change",
    "anything_else": "utter_anything_else",
    "action_failed": "utter_action_failed",
    "conflict_duplicate": "utter_conflict_duplicate",
    "conflict_time": "utter_conflict_time",
    "conflict_place": "utter_conflict_place",
    "conflict_profile": "utter_conflict_profile",
    "recommend": "utter_recommend",
    "no_match": "utter_no_match",
    "preference_noted": "utter_preference_noted",
    "profile": "utter_profile",
    "profile_empty": "utter_profile_empty",
    "profile_forgotten": "utter_profile_forgotten",
}

# Placeholders the dialogue manager fills besides slot names; any other is a typo.
TEMPLATE_VARIABLES = frozenset({
    "task", "question", "current", "later", "options", "slot", "value", "hint", "detail", "fix",
    "constraint", "item", "reasons", "suggestion", "preference", "profile", "reference", "plans",
    "option_1", "option_2", "payload_1", "payload_2", "info", "facts",
})  # fmt: skip

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_\-]*)\}")
_TOP_KEYS = ("version", "intents", "entities", "slots", "actions", "tasks", "responses", "session_config", "config")
#: how a slot's bare hours ("at 7") are meant (policies/clock_time.py): a meal's evening, or the next one
HOUR_RULES = ("evening", "next")
_SLOT_KEYS = ("type", "entity", "kind", "label", "values", "min", "max", "integer", "regex", "hint", "initial",
              "hours")
_TASK_KEYS = (
    "label", "find_label", "intents", "priority", "required", "optional", "ask", "action", "confirm",
    "recommend", "taste", "schedule", "responses", "cancel_action",
)  # fmt: skip
_VARIATION_KEYS = ("text", "buttons", "image", "custom", "attachment", "channel")
_SCHEDULE_KEYS = ("day", "time", "place")
_TRUE = {"yes", "true", "y", "free", "1", "on"}
_FALSE = {"no", "false", "n", "none", "0", "off"}
_NO_ACTION = "task '{name}' has no action name; add `action: action_...` (the rasa-sdk action that fulfils it)"
_DEFAULT_SESSION = {"session_expiration_time": 60, "carry_over_slots_to_new_session": True}
_DEFAULT_CONFIG = {"store_entities_as_slots": True}

Path_ = tuple[Any, ...]  # a key path into the YAML document, e.g. ("tasks", "taxi", "priority")


class DomainError(DataError):
    """The domain file is malformed. Carries the file, the line and the problem."""


@dataclass(frozen=True)
class ResponseVariation:
    """One wording of a response; ``{name}`` placeholders take slot values or template variables."""

    text: str | None = None
    buttons: tuple[Mapping[str, str], ...] = ()
    image: str | None = None
    custom: Any = None
    attachment: Any = None
    channel: str | None = None  # only for this output channel; None: any

    @cached_property  # computed once: render checks it on every call
    def placeholders(self) -> frozenset[str]:
        strings = [self.text or ""] + [str(v) for b in self.buttons for v in b.values()]
        return frozenset(name for s in strings for name in _PLACEHOLDER.findall(s))

    def fill(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The bot message with placeholders filled; unknown ones stay as ``{name}``."""
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = fill_placeholders(self.text, values)
        if self.buttons:
            out["buttons"] = [{k: fill_placeholders(str(v), values) for k, v in b.items()} for b in self.buttons]
        for key in ("image", "custom", "attachment"):
            if getattr(self, key) is not None:
                out[key] = copy.deepcopy(getattr(self, key))  # the caller may edit its message
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [dict(b) for b in self.buttons]
        for key in ("image", "custom", "attachment", "channel"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class SlotSpec:
    """A slot: its type, the entity that fills it and the rules a value must pass."""

    name: str
    type: str = "text"
    entity: str | None = None  # None: only actions and policies set it
    kind: str | None = None  # what the value means ("people", "day"): moves bare answers between tasks
    label: str = ""
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    regex: str | None = None
    hint: str | None = None
    initial: Any = None
    hours: str | None = None  # how a bare hour ("at 7") is meant: policies.clock_time.HOUR_RULES

    def validate(self, value: Any) -> tuple[Any, str | None]:
        """``(normalised value, None)`` when valid, else ``(value, hint for the user)``. None unsets."""
        if value is None or self.type == "any":
            return value, None
        if self.type == "float":
            return self._number(value)
        if self.type == "bool":
            if isinstance(value, bool):
                return value, None
            word = str(value).strip().lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE, None
            return value, self.hint or "Please answer yes or no."
        if self.type == "list":
            return (list(value) if isinstance(value, (list, tuple)) else [value]), None
        text = str(value).strip()
        if self.type == "categorical":
            match = next((v for v in self.values if v.lower() == text.lower()), None)
            if match is None and isinstance(value, str):
                from nlu.fuzzy import closest  # lazy: the domain loads without the NLU

                match = closest(text, self.values)  # a plain typo: "nrth", "expnsive", "wendesday"
            if match is None:
                return value, self.hint or f"Please choose {_one_of(self.values)}."
            return match, None
        if not text:
            return value, self.hint or f"Please tell me the {self.label or self.name}."
        if self.regex and not re.fullmatch(self.regex, text):
            return value, self.hint or f"That doesn't look like a valid {self.label or self.name}."
        return text, None

    def _number(self, value: Any) -> tuple[Any, str | None]:
        number: float | None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            from nlu.normalize import parse_number  # lazy: the domain loads without the NLU

            parsed = parse_number(str(value))
            number = float(parsed) if parsed is not None else None
        if number is None:
            return value, self.hint or f"Please give the {self.label or self.name} as a number."
        if self.integer and not number.is_integer():
            return value, self.hint or f"Please give the {self.label or self.name} as a whole number."
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            return value, self.hint or f"It should be {_range(self.min, self.max)}."
        return (int(number) if self.integer else number), None

    def to_rasa(self) -> dict[str, Any]:
        rasa_type = {"list": "list", "bool": "bool", "float": "float", "categorical": "categorical", "any": "any"}
        out: dict[str, Any] = {
            "type": rasa_type.get(self.type, "text"),
            "initial_value": self.initial,
            "influence_conversation": False,
            "mappings": [{"type": "from_entity", "entity": self.entity}] if self.entity else [{"type": "custom"}],
        }
        if self.type == "categorical":
            out["values"] = list(self.values)
        if self.type == "float":
            if self.min is not None:
                out["min_value"] = self.min
            if self.max is not None:
                out["max_value"] = self.max
        return out


@dataclass(frozen=True)
class TaskType:
    """A kind of task the assistant can do, e.g. booking a restaurant."""

    name: str
    label: str
    intents: Mapping[str, str]  # intent -> goal ("find" or "book") it starts or continues the task with
    priority: int
    # each requirement is a group of alternatives: ("taxi-leaveat", "taxi-arriveby") needs either
    required: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...]
    action: str
    confirm: bool = False
    recommend: str | None = None  # catalogue kind that serves suggestions
    # an optional slot asked once before the first suggestion to a user whose taste in it is unknown
    taste: str | None = None
    ask: Mapping[str, str] = field(default_factory=dict)  # slot -> response asking for it (overrides)
    schedule: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # day/time/place -> slots
    responses: Mapping[str, str] = field(default_factory=dict)  # done/confirm/offer -> response name
    # the action that cancels a booking this task made (its reference in the <task>-ref slot); None: final
    cancel_action: str | None = None
    # how responses name the task while the user is only browsing ("restaurant search"); None: label
    find_label: str | None = None

    def label_for(self, goal: str | None) -> str:
        """The task's name in responses for a task with this goal (find or book)."""
        return self.find_label if goal == "find" and self.find_label else self.label

    @property
    def reference_slot(self) -> str:
        """The slot the booking action sets to the booking's reference."""
        return f"{self.name}-ref"

    @property
    def required_slots(self) -> tuple[str, ...]:
        return tuple(s for group in self.required for s in group)

    @property
    def slot_names(self) -> tuple[str, ...]:
        return self.required_slots + tuple(s for s in self.optional if s not in self.required_slots)

    @property
    def form_name(self) -> str:
        """The form name rasa-sdk's FormValidationAction sees for this task."""
        return f"{self.name}_form"

    def ask_response(self, slot: str) -> str:
        return self.ask.get(slot, f"utter_ask_{slot}")

    def missing(self, slots: Mapping[str, Any]) -> list[str]:
        """Required slots still to ask, in order; for "any one of" groups the first slot stands for the group."""
        return [group[0] for group in self.required if all(slots.get(s) is None for s in group)]

    def is_ready(self, slots: Mapping[str, Any]) -> bool:
        return not self.missing(slots)

    def schedule_value(self, what: str, slots: Mapping[str, Any]) -> Any:
        """The task's day, time or place from its slots (the first filled of the named slots), or None."""
        return next((slots[s] for s in self.schedule.get(what, ()) if slots.get(s) is not None), None)


@dataclass(frozen=True)
class Domain:
    """Everything ``data/domain.yml`` declares. ``problems`` holds what a lenient load let through."""

    intents: tuple[str, ...]
    entities: tuple[str, ...]
    slots: Mapping[str, SlotSpec]
    tasks: Mapping[str, TaskType]
    responses: Mapping[str, tuple[ResponseVariation, ...]]
    actions: tuple[str, ...] = ()
    session_config: Mapping[str, Any] = field(default_factory=lambda: dict(_DEFAULT_SESSION))
    config: Mapping[str, Any] = field(default_factory=lambda: dict(_DEFAULT_CONFIG))
    path: str = "<domain>"
    lines: Mapping[Path_, int] = field(default_factory=dict, repr=False)
    problems: tuple[str, ...] = ()

    # ------------------------------------------------------------ look-ups for policies
    def task_for_intent(self, intent: str | None) -> TaskType | None:
        return next((t for t in self.tasks.values() if intent in t.intents), None)

    def goal_of(self, intent: str | None) -> str | None:
        task = self.task_for_intent(intent)
        return task.intents[intent] if task is not None and intent is not None else None

    @cached_property
    def task_place_words(self) -> frozenset[str]:
        """The words that name a task's place ("hotel", "restaurant"): its type and what it recommends."""
        return frozenset(w for t in self.tasks.values() for w in (t.name, t.recommend) if w)

    def names_a_task(self, raw: Any) -> bool:
        """ "near the hotel", "by my restaurant": an area given as another task's place."""
        return place_reference(raw) in self.task_place_words

    def slots_for_entity(self, entity: str) -> tuple[str, ...]:
        return tuple(s.name for s in self.slots.values() if s.entity == entity)

    def task_slot_for(self, task_type: str, slot: str) -> str | None:
        """Where a value tagged ``slot`` goes in a task of ``task_type``: the slot itself when the
        task has it, else the task's slot of the same kind (a bare "4 people" tagged
        restaurant-bookpeople answers hotel-bookpeople in a hotel task), else None."""
        task = self.tasks.get(task_type)
        if task is None:
            return None
        if slot in task.slot_names:
            return slot
        spec = self.slots.get(slot)
        if spec is None or spec.kind is None:
            return None
        return next((s for s in task.slot_names if s in self.slots and self.slots[s].kind == spec.kind), None)

    def line_of(self, *path: Any) -> int | None:
        """The line of a key path in the file, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    # ------------------------------------------------------------ output
    def render(
        self,
        response: str,
        slots: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        channel: str | None = None,
    ) -> dict[str, Any]:
        """A bot message for ``response``: one variation, placeholders filled from ``slots``.

        Variations whose placeholders all have values are preferred (so "leaving at
        {taxi-leaveat}" is not chosen when only the arrival time is known); a
        placeholder without a value stays readable as ``{name}``.
        """
        variations = self.responses.get(response)
        if not variations:
            raise KeyError(f"no response {response!r} in {self.path}; add it under responses:")
        values = dict(slots or {})
        pool = [v for v in variations if v.channel == channel] or [v for v in variations if v.channel is None]
        pool = pool or list(variations)
        known = {k for k, v in values.items() if v is not None}
        complete = [v for v in pool if v.placeholders <= known]
        choice = (rng or random).choice(complete or pool)
        return choice.fill(values)

    def to_rasa_json(self) -> dict[str, Any]:
        """The domain as rasa-sdk receives it from Rasa (``DomainDict``)."""
        slots = {name: spec.to_rasa() for name, spec in self.slots.items()}
        # Rasa adds requested_slot whenever there are forms; FormValidationAction reads it
        slots.setdefault(
            "requested_slot",
            {"type": "any", "initial_value": None, "influence_conversation": False, "mappings": [{"type": "custom"}]},
        )
        actions = list(dict.fromkeys([*self.actions, *(t.action for t in self.tasks.values() if t.action),
                                      *(t.cancel_action for t in self.tasks.values() if t.cancel_action)]))
        return {
            "version": "3.1",
            "session_config": dict(self.session_config),
            "config": dict(self.config),
            "intents": list(self.intents),
            "entities": list(self.entities),
            "slots": slots,
            "responses": {name: [v.to_dict() for v in vs] for name, vs in self.responses.items()},
            "actions": actions,
            "forms": {t.form_name: {"required_slots": list(t.required_slots)} for t in self.tasks.values()},
            "e2e_actions": [],
        }


def fill_placeholders(text: str, values: Mapping[str, Any]) -> str:
    """Replace ``{name}`` by its value; a missing or None value leaves ``{name}`` as it is."""

    def sub(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else display_value(value)

    return _PLACEHOLDER.sub(sub, text)


# "near the hotel", "by my hotel": an area given as another task's place
_PLACE_REFERENCE = re.compile(r"^(?:(?:near|by|close to|next to|around|at)\s+)?(?:the|my|our)?\s*(\w+)$")


def place_reference(raw: Any) -> str | None:
    """The word of an area given as a place ("near the hotel" -> "hotel"), or None for anything else."""
    match = _PLACE_REFERENCE.match(str(raw).strip().lower()) if isinstance(raw, str) else None
    return match.group(1) if match else None


def display_value(value: Any) -> str:
    """A slot value as words: 4.0 -> "4", True -> "yes", lists joined with commas."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(display_value(v) for v in value)
    return str(value)


def _one_of(values: Iterable[str]) -> str:
    items = list(values)
    return "one of " + ", ".join(items[:-1]) + f" or {items[-1]}" if len(items) > 1 else "".join(items)


def _range(low: float | None, high: float | None) -> str:
    fmt = display_value
    if low is not None and high is not None:
        return f"between {fmt(low)} and {fmt(high)}"
    return f"at least {fmt(low)}" if low is not None else f"at most {fmt(high)}"


# ===================================================================== loading


def load_domain(path: str | Path, *, strict: bool = True) -> Domain:
    """Load ``domain.yml``. Strict: the first problem raises DomainError with its line.

    Lenient (``strict=False``, used by ``validate_domain``'s callers): only a file
    that cannot be read as YAML raises; every other problem is kept in
    ``Domain.problems`` and the offending entry skipped or defaulted.
    """
    path = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise DomainError(path, None, f"cannot read the domain file ({err.strerror}); check the path") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DomainError(path, line, "the file is not valid UTF-8; re-save it as UTF-8") from None
    return parse_domain(text, path, strict=strict)


def parse_domain(text: str, path: str = "<string>", *, strict: bool = True) -> Domain:
    """Parse domain YAML held in a string; ``path`` names it in errors."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or "syntax error"
        if err.context:
            problem += f" ({err.context})"
        line = mark.line + 1 if mark is not None else None
        raise DomainError(path, line, f"invalid YAML: {problem}; check indentation and quoting") from None
    except yaml.YAMLError as err:
        raise DomainError(path, None, f"invalid YAML: {err}") from None
    if root is None:
        raise DomainError(path, None, "the domain file is empty; it needs intents:, slots:, tasks: and responses:")
    if not isinstance(root, MappingNode):
        raise DomainError(path, root.start_mark.line + 1, "the top level must be a mapping (intents:, slots:, ...)")
    return _DomainReader(path, strict).read(root)


class _DomainReader:
    """Turns the YAML node graph into a Domain, remembering the line of every key path."""

    def __init__(self, path: str, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.lines: dict[Path_, int] = {}
        self.problems: list[str] = []
        self._constructor = SafeConstructor()

    # ------------------------------------------------------------ plumbing
    def problem(self, where: Path_, message: str, line: int | None = None) -> None:
        line = line or self.line(where)
        if self.strict:
            raise DomainError(self.path, line, message)
        self.problems.append(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")

    def line(self, where: Path_) -> int | None:
        for end in range(len(where), -1, -1):
            if tuple(where[:end]) in self.lines:
                return self.lines[tuple(where[:end])]
        return None

    def value(self, node: Node, where: Path_) -> Any:
        """Plain Python value of a node; records the line of every key and item below it."""
        self.lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.problem(where, "a mapping key must be a plain word")
                    continue
                key = key_node.value
                if key in out:
                    first = self.lines[where + (key,)]
                    self.problem(
                        where + (key,), f"duplicate key '{key}' (first at line {first})", key_node.start_mark.line + 1
                    )
                    continue
                # a key's own line beats its value's: a block value starts on the next line
                self.lines[where + (key,)] = key_node.start_mark.line + 1
                out[key] = self.value(value_node, where + (key,))
            return out
        if isinstance(node, SequenceNode):
            return [self.value(item, where + (i,)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node)

    def names(self, raw: Any, where: Path_, what: str) -> list[str]:
        """A list of unique non-empty names; bad entries are problems and skipped."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(where, f"{what} must be a list of names ('- name' lines)")
            return []
        out: list[str] = []
        for i, item in enumerate(raw):
            if not isinstance(item, str) or not item.strip():
                self.problem(where + (i,), f"{what}: {item!r} is not a name; write a plain word")
            elif item in out:
                self.problem(where + (i,), f"{what}: '{item}' is listed twice")
            else:
                out.append(item.strip())
        return out

    def mapping(self, raw: Any, where: Path_, what: str) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(where, f"{what} must be a mapping (name: ...)")
            return {}
        return raw

    def section(self, doc: dict[str, Any], key: str) -> dict[str, Any]:
        return self.mapping(doc.get(key), (key,), key)

    def unknown_keys(self, raw: dict[str, Any], allowed: tuple[str, ...], where: Path_, what: str) -> None:
        for key in raw:
            if key not in allowed:
                self.problem(where + (key,), f"unknown key '{key}' in {what}; allowed: {', '.join(allowed)}")

    # ------------------------------------------------------------ sections
    def read(self, root: MappingNode) -> Domain:
        doc = self.value(root, ())
        self.unknown_keys(doc, _TOP_KEYS, (), "the domain")
        intents = self.names(doc.get("intents"), ("intents",), "intents")
        entities = self.names(doc.get("entities"), ("entities",), "entities")
        slots = {
            name: spec
            for name, raw in self.mapping(doc.get("slots"), ("slots",), "slots").items()
            if (spec := self.slot(name, raw)) is not None
        }
        tasks = {
            name: task
            for name, raw in self.mapping(doc.get("tasks"), ("tasks",), "tasks").items()
            if (task := self.task(name, raw)) is not None
        }
        responses = {
            name: variations
            for name, raw in self.mapping(doc.get("responses"), ("responses",), "responses").items()
            if (variations := self.response(name, raw))
        }
        return Domain(
            intents=tuple(intents),
            entities=tuple(entities),
            slots=slots,
            tasks=tasks,
            responses=responses,
            actions=tuple(self.names(doc.get("actions"), ("actions",), "actions")),
            session_config={**_DEFAULT_SESSION, **self.section(doc, "session_config")},
            config={**_DEFAULT_CONFIG, **self.section(doc, "config")},
            path=self.path,
            lines=self.lines,
            problems=tuple(self.problems),
        )

    def slot(self, name: str, raw: Any) -> SlotSpec | None:
        where: Path_ = ("slots", name)
        if not isinstance(raw, dict):
            self.problem(where, f"slot '{name}' must be a mapping with at least `type:`")
            return None
        self.unknown_keys(raw, _SLOT_KEYS, where, f"slot '{name}'")
        kind = raw.get("type", "text")
        if kind not in SLOT_TYPES:
            self.problem(where + ("type",), f"slot '{name}': unknown type {kind!r}; use one of {', '.join(SLOT_TYPES)}")
            kind = "any"
        values = self.names(raw.get("values"), where + ("values",), f"slot '{name}' values")
        if kind == "categorical" and not values:
            self.problem(where, f"categorical slot '{name}' needs `values: [...]`")
        bounds: dict[str, float | None] = {}
        for key in ("min", "max"):
            bound = raw.get(key)
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
                self.problem(where + (key,), f"slot '{name}': {key} must be a number, not {bound!r}")
                bound = None
            if bound is not None and kind != "float":
                self.problem(where + (key,), f"slot '{name}': {key} only applies to float slots")
            bounds[key] = bound
        regex = raw.get("regex")
        if regex is not None:
            try:
                re.compile(str(regex))
            except re.error as err:
                self.problem(where + ("regex",), f"slot '{name}': regex does not compile ({err})")
                regex = None
        entity = raw.get("entity")
        if entity is not None and not isinstance(entity, str):
            self.problem(where + ("entity",), f"slot '{name}': entity must be an entity name")
            entity = None
        hours = raw.get("hours")
        if hours is not None and hours not in HOUR_RULES:
            self.problem(where + ("hours",), f"slot '{name}': hours must be one of {', '.join(HOUR_RULES)}, "
                                             f"not {hours!r}")
            hours = None
        return SlotSpec(
            name=name,
            type=kind,
            entity=entity,
            kind=_str_or_none(raw.get("kind")),
            label=str(raw.get("label") or name),
            values=tuple(values),
            min=bounds["min"],
            max=bounds["max"],
            integer=bool(raw.get("integer", False)),
            regex=None if regex is None else str(regex),
            hint=_str_or_none(raw.get("hint")),
            initial=raw.get("initial"),
            hours=hours,
        )

    def task(self, name: str, raw: Any) -> TaskType | None:
        where: Path_ = ("tasks", name)
        if not isinstance(raw, dict):
            self.problem(where, f"task '{name}' must be a mapping with intents:, required:, action: ...")
            return None
        self.unknown_keys(raw, _TASK_KEYS, where, f"task '{name}'")
        intents = self.task_intents(name, raw.get("intents"))
        priority = raw.get("priority")
        if isinstance(priority, bool) or not isinstance(priority, int):
            self.problem(
                where + ("priority",), f"task '{name}': priority must be an integer (higher first), not {priority!r}"
            )
            priority = 0
        required: list[tuple[str, ...]] = []
        raw_required = raw.get("required") or []
        if not isinstance(raw_required, list):
            self.problem(where + ("required",), f"task '{name}': required must be a list of slot names")
            raw_required = []
        for i, item in enumerate(raw_required):
            items = item if isinstance(item, list) else [item]
            group = self.names(items, where + ("required", i), f"task '{name}' required")
            if group:
                required.append(tuple(group))
        action = raw.get("action")
        if not isinstance(action, str) or not action.strip():
            self.problem(where + ("action",), _NO_ACTION.format(name=name))
            action = ""
        confirm = raw.get("confirm", False)
        if not isinstance(confirm, bool):
            self.problem(where + ("confirm",), f"task '{name}': confirm must be true or false")
            confirm = True  # when unsure, ask before doing something irreversible
        recommend = raw.get("recommend")
        if recommend is not None and not isinstance(recommend, str):
            self.problem(where + ("recommend",), f"task '{name}': recommend must be a catalogue kind or null")
            recommend = None
        taste = raw.get("taste")
        if taste is not None and not isinstance(taste, str):
            self.problem(where + ("taste",), f"task '{name}': taste must be the name of one of its optional slots")
            taste = None
        ask = {str(k): str(v) for k, v in self.mapping(raw.get("ask"), where + ("ask",), f"task '{name}' ask").items()}
        responses = self.mapping(raw.get("responses"), where + ("responses",), f"task '{name}' responses")
        self.unknown_keys(responses, TASK_RESPONSE_ROLES, where + ("responses",), f"task '{name}' responses")
        schedule_raw = self.mapping(raw.get("schedule"), where + ("schedule",), f"task '{name}' schedule")
        self.unknown_keys(schedule_raw, _SCHEDULE_KEYS, where + ("schedule",), f"task '{name}' schedule")
        schedule = {
            k: tuple(v) if isinstance(v, list) else (str(v),) for k, v in schedule_raw.items() if k in _SCHEDULE_KEYS
        }
        cancel_action = raw.get("cancel_action")
        if cancel_action is not None and (not isinstance(cancel_action, str) or not cancel_action.strip()):
            self.problem(where + ("cancel_action",), f"task '{name}': cancel_action must be an action name")
            cancel_action = None
        return TaskType(
            name=name,
            label=str(raw.get("label") or name),
            intents=intents,
            priority=priority,
            required=tuple(required),
            optional=tuple(self.names(raw.get("optional"), where + ("optional",), f"task '{name}' optional")),
            action=action.strip(),
            confirm=confirm,
            recommend=recommend,
            taste=taste,
            ask=ask,
            schedule=schedule,
            responses={k: str(v) for k, v in responses.items() if k in TASK_RESPONSE_ROLES},
            cancel_action=cancel_action.strip() if cancel_action else None,
            find_label=str(raw["find_label"]).strip() or None if raw.get("find_label") else None,
        )

    def task_intents(self, name: str, raw: Any) -> dict[str, str]:
        where: Path_ = ("tasks", name, "intents")
        if isinstance(raw, list):  # a plain list: each intent books
            return {i: "book" for i in self.names(raw, where, f"task '{name}' intents")}
        if not isinstance(raw, dict) or not raw:
            self.problem(where, f"task '{name}' needs `intents:` mapping each intent to find or book")
            return {}
        out: dict[str, str] = {}
        for intent, goal in raw.items():
            if goal not in GOALS:
                self.problem(where + (intent,), f"task '{name}': intent '{intent}' has goal {goal!r}; use find or book")
                goal = "book"
            out[str(intent)] = goal
        return out

    def response(self, name: str, raw: Any) -> tuple[ResponseVariation, ...]:
        where: Path_ = ("responses", name)
        if not name.startswith("utter_"):
            self.problem(where, f"response '{name}' must start with utter_")
        if isinstance(raw, (str, dict)):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            self.problem(where, f"response '{name}' needs a list of variations ('- text: ...')")
            return ()
        out: list[ResponseVariation] = []
        for i, item in enumerate(raw):
            at = where + (i,)
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict):
                self.problem(at, f"response '{name}': a variation must be a mapping such as '- text: Hello'")
                continue
            self.unknown_keys(item, _VARIATION_KEYS, at, f"response '{name}'")
            if not any(item.get(k) is not None for k in ("text", "image", "custom", "attachment")):
                self.problem(at, f"response '{name}': a variation needs text, image, custom or attachment")
                continue
            buttons = []
            for j, button in enumerate(item.get("buttons") or []):
                if not isinstance(button, dict) or "title" not in button or "payload" not in button:
                    self.problem(at + ("buttons", j), f"response '{name}': a button needs title and payload")
                    continue
                buttons.append({"title": str(button["title"]), "payload": str(button["payload"])})
            text = item.get("text")
            out.append(
                ResponseVariation(
                    text=None if text is None else str(text),
                    buttons=tuple(buttons),
                    image=_str_or_none(item.get("image")),
                    custom=item.get("custom"),
                    attachment=item.get("attachment"),
                    channel=_str_or_none(item.get("channel")),
                )
            )
        return tuple(out)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# ===================================================================== validation


def validate_domain(domain: Domain, nlu_data: TrainingData | None = None,
                    place_area: Callable[[str, Iterable[str]], str | None] | None = None) -> list[str]:
    """Every inconsistency in the domain and between it and the NLU data, as "file:line: problem".

    ``place_area`` (the catalogue's, ``Recommender.landmark_area``): an area given in the NLU data
    as a place the catalogue knows ("near the [train station](hotel-area)") is a valid area.

    An empty list means the domain is consistent. Includes the problems a lenient
    ``load_domain(strict=False)`` kept.
    """
    checks = _Checks(domain, place_area)
    checks.problems.extend(domain.problems)
    if nlu_data is not None:
        checks.against_nlu(nlu_data)
    checks.slots()
    for task in domain.tasks.values():
        checks.task(task, nlu_data)
    checks.responses()
    return list(dict.fromkeys(checks.problems))  # the loader and a check may word a problem alike


class _Checks:
    """The checks of ``validate_domain``; each adds "file:line: problem" strings."""

    def __init__(self, domain: Domain, place_area: Callable[[str, Iterable[str]], str | None] | None = None) -> None:
        self.domain = domain
        self.place_area = place_area
        self.problems: list[str] = []
        self.nlu_entities: set[str] = set()
        self.owner: dict[str, str] = {}  # intent -> the task it starts

    def add(self, where: tuple[Any, ...] | str, message: str) -> None:
        """``where`` is a key path into the domain file, or an NLU example's "file:line"."""
        if isinstance(where, tuple):
            line = self.domain.line_of(*where)
            where = f"{self.domain.path}:{line}" if line else self.domain.path
        self.problems.append(f"{where}: {message}")

    def against_nlu(self, nlu_data: TrainingData) -> None:
        domain = self.domain
        first_intent: dict[str, str] = {}
        first_entity: dict[str, str] = {}
        for ex in nlu_data.examples:
            if ex.intent is not None:
                first_intent.setdefault(ex.intent, ex.source or "<nlu data>")
            for span in ex.entities:
                first_entity.setdefault(span.entity, ex.source or "<nlu data>")
        self.nlu_entities = set(first_entity)
        for intent, source in first_intent.items():
            if intent not in domain.intents:
                self.add(
                    source,
                    f"intent '{intent}' is used in the NLU data but not declared in {domain.path}; "
                    "add it under intents:"
                )
        for i, intent in enumerate(domain.intents):
            if intent not in first_intent:
                self.add(("intents", i), f"intent '{intent}' is declared but has no NLU examples; add some or drop it")
        for entity, source in first_entity.items():
            if entity not in domain.entities:
                self.add(
                    source,
                    f"entity '{entity}' is used in the NLU data but not declared in {domain.path}; "
                    "add it under entities:"
                )
        self.categorical_values(nlu_data)

    def categorical_values(self, nlu_data: TrainingData) -> None:
        """NLU values a categorical slot would reject (a synonym missing, or a value not declared)."""
        seen: set[tuple[str, str]] = set()
        for ex in nlu_data.examples:
            for span in ex.entities:
                for slot in self.domain.slots_for_entity(span.entity):
                    spec = self.domain.slots[slot]
                    value = span.value.lower()
                    if spec.type != "categorical" or (slot, value) in seen:
                        continue
                    seen.add((slot, value))
                    if value in {v.lower() for v in spec.values}:
                        continue
                    if spec.kind == "area" and self.domain.names_a_task(value):
                        continue  # "near the hotel": the hotel task's area, read in the dialogue
                    if spec.kind == "area" and self.place_area is not None and \
                            self.place_area(span.value, spec.values) is not None:
                        continue  # "near the train station": a place of the catalogue, read as its area
                    place = " (or, as a place, to the catalogue)" if spec.kind == "area" else ""
                    self.add(
                        ex.source or "<nlu data>",
                        f"'{span.value}' ({span.entity}) is not a value of "
                        f"categorical slot '{slot}'; add a synonym mapping it to {_one_of(spec.values)}, "
                        f"or add it to the slot's values{place}"
                    )

    def slots(self) -> None:
        for name, spec in self.domain.slots.items():
            if spec.entity is not None and spec.entity not in self.domain.entities:
                self.add(
                    ("slots", name,
                    "entity"), f"slot '{name}' is filled by entity '{spec.entity}', "
                    "which is not declared under entities:"
                )

    def task(self, task: TaskType, nlu_data: TrainingData | None) -> None:
        domain, name, at = self.domain, task.name, ("tasks", task.name)
        for intent in task.intents:
            if intent not in domain.intents:
                self.add(at + ("intents", intent), f"task '{name}' uses intent '{intent}', not declared under intents:")
            if intent in self.owner:
                self.add(
                    at + ("intents", intent),
                    f"intent '{intent}' starts both task '{self.owner[intent]}' and "
                    f"'{name}'; give it to one"
                )
            self.owner.setdefault(intent, name)
        for slot in task.slot_names:
            where = at + ("required" if slot in task.required_slots else "optional",)
            spec = domain.slots.get(slot)
            if spec is None:
                self.add(where, f"task '{name}' uses slot '{slot}', which is not declared under slots:")
                continue
            if spec.entity is None or spec.entity not in domain.entities:
                self.add(
                    where,
                    f"no entity can fill slot '{slot}' of task '{name}'; give the slot an `entity:` "
                    "declared under entities:"
                )
            elif nlu_data is not None and spec.entity not in self.nlu_entities:
                self.add(
                    where,
                    f"no NLU example annotates entity '{spec.entity}', so slot '{slot}' of task "
                    f"'{name}' can never be filled"
                )
            if task.ask_response(slot) not in domain.responses:
                self.add(
                    where,
                    f"task '{name}' has no response asking for '{slot}'; "
                    f"add '{task.ask_response(slot)}' under responses:"
                )
        for slot in set(task.required_slots) & set(task.optional):
            self.add(at + ("optional",), f"slot '{slot}' of task '{name}' is both required and optional")
        if task.taste is not None and (task.taste not in task.optional or not task.recommend):
            self.add(
                at + ("taste",),
                f"task '{name}': taste '{task.taste}' must be one of its optional slots, on a task that recommends"
            )
        if not task.action:
            self.add(at + ("action",), _NO_ACTION.format(name=name))
        if task.responses.get("done") is None:
            self.add(at, f"task '{name}' has no completion response; add `responses: {{done: utter_...}}`")
        if task.confirm and task.responses.get("confirm") is None:
            self.add(at + ("confirm",), f"task '{name}' confirms first but has no `responses: {{confirm: utter_...}}`")
        for role, response in task.responses.items():
            if response not in domain.responses:
                self.add(
                    at + ("responses", role),
                    f"task '{name}': response '{response}' ({role}) is not defined "
                    "under responses:"
                )
        for what, slots in task.schedule.items():
            for slot in slots:
                if slot not in task.slot_names:
                    self.add(
                        at + ("schedule", what),
                        f"schedule {what} of task '{name}' names '{slot}', "
                        "which is not one of its slots"
                    )

    def responses(self) -> None:
        domain = self.domain
        for purpose, response in GENERAL_RESPONSES.items():
            if response not in domain.responses:
                self.add(
                    ("responses",),
                    f"the dialogue manager needs response '{response}' ({purpose}); "
                    "add it under responses:"
                )
        known = set(domain.slots) | TEMPLATE_VARIABLES
        for name, variations in domain.responses.items():
            for i, variation in enumerate(variations):
                for placeholder in sorted(variation.placeholders - known):
                    self.add(
                        ("responses", name, i),
                        f"response '{name}' uses {{{placeholder}}}, which is no slot "
                        "or template variable"
                    )
