"""Reads scripted-dialogue YAML files; every problem is reported with its file and line.

    dialogues:
      - name: taxi interrupts a hotel booking
        user: alice                 # optional: the same user in several dialogues shares a profile
        session: 1                  # optional: the user's conversation to use (default: a new one)
        now: 2025-06-06 18:30       # optional: the assistant's clock at the start (default: Monday
                                    #   2 June 2025, 09:00 local time; see runner.DEFAULT_NOW)
        steps:
          - user: I need a hotel in the north for 2 nights
            intent: find_hotel                          # optional assertions on the parse ...
            entities: {hotel-area: north, hotel-bookstay: 2}
          - bot: utter_ask_hotel-name                   # a response name
          - user: actually first get me a taxi to the station
            tasks: {taxi: active, hotel: suspended}     # ... and on the state after the turn (none: no task)
            slots: {taxi-destination: station}
            focus: taxi
          - bot: {text: "/where.*from/i"}               # a regex between slashes (or matches: ...)
          - bot: {recommends: restaurant}               # a recommendation of a kind (also id:, name:,
                                                        #   new: true = not suggested before)
          - new_session: true                           # the same user, a fresh conversation

``check_against_domain`` then finds names the domain does not know (a misspelt intent, response,
slot or task type), also with file and line, before anything runs.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nlu.errors import DataError

from .model import (
    ANY_TASK,
    NO_TASK,
    STATUS_ALIASES,
    STATUSES,
    BotStep,
    Dialogue,
    NewSession,
    Step,
    UserStep,
    Where,
    slash_regex,
)

if TYPE_CHECKING:
    from assistant.domain import Domain

SUFFIXES = (".yml", ".yaml")
TOP_KEYS = ("dialogues", "version")
DIALOGUE_KEYS = ("name", "user", "session", "now", "steps")
USER_KEYS = ("user", "intent", "entities", "tasks", "slots", "focus", "metadata")
BOT_KEYS = ("response", "text", "matches", "recommends")
RECOMMEND_KEYS = ("kind", "id", "name", "new")  # new: true - not suggested before in the conversation


class DialogueFileError(DataError):
    """One or more problems in scripted-dialogue files, each as ``path:line: what is wrong``."""

    def __init__(self, problems: list[tuple[str, int | None, str]]) -> None:
        self.problems = [f"{p}:{line}: {msg}" if line else f"{p}: {msg}" for p, line, msg in problems]
        path, line, first = problems[0]
        super().__init__(path, line, first)
        self.args = ("\n".join(self.problems),)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# ===================================================================== finding and reading files


def dialogue_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, and those under the folders named (sorted), each once."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        elif path.is_file():
            found = [path]
        else:
            raise FileNotFoundError(f"no dialogue file or folder {path}")
        out.extend(p for p in found if p not in out)
    return out


def load_dialogues(paths: Iterable[str | Path]) -> list[Dialogue]:
    """Every dialogue of the files (and folders) given, in order; all problems of all files at once."""
    dialogues: list[Dialogue] = []
    problems: list[tuple[str, int | None, str]] = []
    for path in dialogue_files(paths):
        try:
            dialogues.extend(parse_dialogues(path.read_text(encoding="utf-8"), str(path)))
        except DialogueFileError as error:
            problems.extend(_split(error))
    if problems:
        raise DialogueFileError(problems)
    return dialogues


def _split(error: DialogueFileError) -> list[tuple[str, int | None, str]]:
    out = []
    for text in error.problems:
        match = re.match(r"^(.*?):(\d+): (.*)$", text, re.DOTALL)
        out.append((match[1], int(match[2]), match[3]) if match else (error.path, None, text))
    return out


def parse_dialogues(text: str, path: str = "<string>") -> list[Dialogue]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DialogueFileError([(path, line, f"invalid YAML: {err.problem or err}; check indentation and quoting")])
    except yaml.YAMLError as err:
        raise DialogueFileError([(path, None, f"invalid YAML: {err}")])
    reader = _Reader(path)
    dialogues = reader.read(root)
    if reader.problems:
        raise DialogueFileError(reader.problems)
    return dialogues


# ===================================================================== the node walker


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[tuple[str, int | None, str]] = []
        self._constructor = SafeConstructor()

    def problem(self, node: Node | None, message: str) -> None:
        self.problems.append((self.path, node.start_mark.line + 1 if node is not None else None, message))

    def where(self, node: Node) -> Where:
        return Where(self.path, node.start_mark.line + 1)

    def value(self, node: Node) -> Any:
        """The plain Python value of a node (numbers, booleans, null as YAML reads them)."""
        try:
            return self._constructor.construct_document(node)
        except yaml.YAMLError as err:
            self.problem(node, f"cannot read this value: {err}")
            return None

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[Node, Node]] | None:
        """key -> (key node, value node); unknown and repeated keys are problems."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping (key: value lines)")
            return None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"{what}: a key must be a plain word")
            elif key in out:
                first = out[key][0].start_mark.line + 1
                self.problem(key_node, f"{what}: duplicate key '{key}' (first at line {first})")
            elif key not in allowed:
                self.problem(key_node, f"{what}: unknown key '{key}'; allowed: {', '.join(allowed)}")
            else:
                out[key] = (key_node, value_node)
        return out

    # ------------------------------------------------------------ the file
    def read(self, root: Node | None) -> list[Dialogue]:
        if root is None:
            self.problem(None, "the file is empty; it needs a 'dialogues:' list")
            return []
        keys = self.mapping(root, "the top level", TOP_KEYS)
        if keys is None:
            return []
        if "dialogues" not in keys:
            self.problem(root, "the top level needs a 'dialogues:' list")
            return []
        node = keys["dialogues"][1]
        if not isinstance(node, SequenceNode):
            self.problem(node, "'dialogues' must be a list ('- name: ...' items)")
            return []
        dialogues: list[Dialogue] = []
        names: dict[str, int] = {}
        for item in node.value:
            dialogue = self.dialogue(item)
            if dialogue is None:
                continue
            if dialogue.name in names:
                self.problem(item, f"another dialogue is already named '{dialogue.name}' (line {names[dialogue.name]})")
                continue
            names[dialogue.name] = dialogue.where.line
            dialogues.append(dialogue)
        return dialogues

    def dialogue(self, node: Node) -> Dialogue | None:
        keys = self.mapping(node, "a dialogue", DIALOGUE_KEYS)
        if keys is None:
            return None
        ok = True
        name = None
        if "name" not in keys:
            self.problem(node, "a dialogue needs a 'name:'")
            ok = False
        else:
            name = self.text(keys["name"][1], "name")
            ok = ok and bool(name)
        user = None
        if "user" in keys:
            user = self.text(keys["user"][1], "user")
            ok = ok and bool(user)
        session = None
        if "session" in keys:
            session = self.value(keys["session"][1])
            if isinstance(session, bool) or not isinstance(session, int) or session < 1:
                self.problem(keys["session"][1], f"session must be a whole number from 1, not {session!r}")
                ok = False
            elif user is None:
                self.problem(keys["session"][0], "a session needs a 'user:' (sessions belong to a user)")
                ok = False
        now = None
        if "now" in keys:
            now = self.timestamp(keys["now"][1])
            ok = ok and now is not None
        if "steps" not in keys:
            self.problem(node, f"dialogue '{name}' needs 'steps:'")
            return None
        steps = self.steps(keys["steps"][1])
        if steps is None or not ok:
            return None
        raw = self.value(node)
        return Dialogue(name, tuple(steps), self.where(node), user, session, now, raw)  # type: ignore[arg-type]

    def text(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or not str(node.value).strip() or node.tag.endswith(":null"):
            self.problem(node, f"{what} must be a non-empty text")
            return None
        return str(node.value).strip()

    def timestamp(self, node: Node) -> float | None:
        value = self.value(node)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                value = None
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if not isinstance(value, datetime):
            self.problem(node, "now must be a date and time such as 2025-06-02 18:30")
            return None
        return value.timestamp()  # a time without a zone is the machine's local time, as the assistant reads it

    # ------------------------------------------------------------ steps
    def steps(self, node: Node) -> list[Step] | None:
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, "steps must be a non-empty list ('- user: ...' and '- bot: ...' items)")
            return None
        steps: list[Step] = []
        after_user = False
        for item in node.value:
            step = self.step(item)
            if step is None:
                continue
            if isinstance(step, BotStep) and not after_user:
                self.problem(item, "a bot step must come after a user step (it checks that turn's bot messages)")
                continue
            if isinstance(step, UserStep):
                after_user = True
            elif isinstance(step, NewSession):
                after_user = False
            steps.append(step)
        if not any(isinstance(s, UserStep) for s in steps):
            self.problem(node, "a dialogue needs at least one '- user: ...' step")
        return steps

    def step(self, node: Node) -> Step | None:
        if not isinstance(node, MappingNode):
            self.problem(node, "a step must be '- user: ...', '- bot: ...' or '- new_session: true'")
            return None
        kinds = [k.value for k, _ in node.value
                 if isinstance(k, ScalarNode) and k.value in ("user", "bot", "new_session")]
        if len(kinds) != 1:
            what = "more than one of" if kinds else "one of"
            self.problem(node, f"a step must have {what} 'user:', 'bot:' or 'new_session:'")
            return None
        if kinds[0] == "user":
            return self.user_step(node)
        if kinds[0] == "bot":
            return self.bot_step(node)
        keys = self.mapping(node, "a new_session step", ("new_session",))
        if keys is None:
            return None
        if self.value(keys["new_session"][1]) is not True:
            self.problem(keys["new_session"][1], "write 'new_session: true'")
            return None
        return NewSession(self.where(node), self.value(node))

    def user_step(self, node: Node) -> UserStep | None:
        keys = self.mapping(node, "a user step", USER_KEYS)
        if keys is None:
            return None
        text_node = keys["user"][1]
        if not isinstance(text_node, ScalarNode) or text_node.tag.endswith(":null"):
            self.problem(text_node, "user: must be the text the user types (or a payload such as /affirm)")
            return None
        fields: dict[str, Any] = {}
        ok = True
        if "intent" in keys:
            intent = self.value(keys["intent"][1])
            if isinstance(intent, str) and intent.strip():
                fields["intent"] = intent.strip()
            elif isinstance(intent, list) and intent and all(isinstance(i, str) and i.strip() for i in intent):
                fields["intent"] = tuple(i.strip() for i in intent)
            else:
                self.problem(keys["intent"][1], "intent must be an intent name, or a list of them (one per request)")
                ok = False
        for key in ("entities", "slots", "metadata"):
            if key in keys:
                value = self.value(keys[key][1])
                if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                    self.problem(keys[key][1], f"{key} must be a mapping of name: value")
                    ok = False
                else:
                    fields[key] = value
        if "tasks" in keys:
            tasks = self.tasks(keys["tasks"][1])
            ok = ok and tasks is not None
            fields["tasks"] = tasks
        if "focus" in keys:
            focus = self.value(keys["focus"][1])
            if focus is None:
                focus = NO_TASK
            if not isinstance(focus, str) or not focus.strip():
                self.problem(keys["focus"][1], "focus must be a task type (or none)")
                ok = False
            else:
                fields["focus"] = focus.strip()
        if not ok:
            return None
        return UserStep(str(text_node.value), self.where(node), raw=self.value(node), **fields)

    def tasks(self, node: Node) -> dict[str, Any] | None:
        value = self.value(node)
        if value is None or value == {} or (isinstance(value, str) and value.strip().lower() == NO_TASK):
            return {ANY_TASK: NO_TASK}  # `tasks: none` (or {}): no task at all
        if not isinstance(value, dict):
            self.problem(node, "tasks must be a mapping of task type: status, or none")
            return None
        out: dict[str, Any] = {}
        for task_type, status in value.items():
            if isinstance(status, list):
                statuses = [self.status(node, task_type, s) for s in status]
                if any(s is None for s in statuses) or not statuses:
                    return None
                out[str(task_type)] = tuple(statuses)
            else:
                single = self.status(node, task_type, status)
                if single is None:
                    return None
                out[str(task_type)] = single
        return out

    def status(self, node: Node, task_type: Any, status: Any) -> str | None:
        if status is None:
            return NO_TASK
        text = str(status).strip().lower()
        text = STATUS_ALIASES.get(text, text)
        if text not in STATUSES and text != NO_TASK:
            self.problem(node, f"tasks: '{status}' ({task_type}) is not a task status; use one of "
                               f"{', '.join(STATUSES)} or none")
            return None
        return text

    def bot_step(self, node: Node) -> BotStep | None:
        keys = self.mapping(node, "a bot step", ("bot",))
        if keys is None:
            return None
        value_node = keys["bot"][1]
        where = self.where(node)
        raw = self.value(node)
        if isinstance(value_node, ScalarNode):
            value = value_node.value.strip()
            if not value or value_node.tag.endswith(":null"):
                self.problem(value_node, "bot: needs a response name, a /regex/ or a mapping (text:, recommends:, ...)")
                return None
            if value.startswith("/"):
                pattern = self.regex(value_node, value, slashes=True)
                return BotStep(where, pattern=pattern, raw=raw) if pattern is not None else None
            return BotStep(where, response=value, raw=raw)
        keys = self.mapping(value_node, "bot", BOT_KEYS)
        if keys is None:
            return None
        if not keys and not value_node.value:  # (unknown keys were reported already)
            self.problem(value_node, f"bot: say what to expect: {', '.join(BOT_KEYS)}")
        if not keys:
            return None
        fields: dict[str, Any] = {}
        ok = True
        if "response" in keys:
            fields["response"] = self.text(keys["response"][1], "response")
            ok = ok and fields["response"] is not None
        if "text" in keys:
            text = self.value(keys["text"][1])
            if not isinstance(text, (str, int, float)) or isinstance(text, bool):
                self.problem(keys["text"][1], "text must be the exact text, or a regex between slashes (/.../i)")
                ok = False
            elif str(text).strip().startswith("/"):
                fields["pattern"] = self.regex(keys["text"][1], str(text), slashes=True)
                ok = ok and fields["pattern"] is not None
            else:
                fields["text"] = str(text)
        if "matches" in keys:
            if "pattern" in fields:
                self.problem(keys["matches"][0], "give either a /regex/ text or matches:, not both")
                ok = False
            else:
                text = self.value(keys["matches"][1])
                fields["pattern"] = self.regex(keys["matches"][1], str(text), slashes=False) if text else None
                ok = ok and fields["pattern"] is not None
        if "recommends" in keys:
            fields["recommends"] = self.recommends(keys["recommends"][1])
            ok = ok and fields["recommends"] is not None
        if not ok:
            return None
        return BotStep(where, raw=raw, **fields)

    def regex(self, node: Node, text: str, slashes: bool) -> Any:
        try:
            pattern = slash_regex(text) if slashes else re.compile(text)
        except re.error as err:
            self.problem(node, f"bad regular expression {text!r}: {err}")
            return None
        if pattern is None:
            self.problem(node, f"{text!r} is not a regex: write it between slashes, as /where.*from/i")
        return pattern

    def recommends(self, node: Node) -> dict[str, Any] | None:
        value = self.value(node)
        if isinstance(value, str) and value.strip():
            return {"kind": value.strip()}
        if isinstance(value, dict) and value and set(value) <= set(RECOMMEND_KEYS):
            if "new" in value and not isinstance(value["new"], bool):
                self.problem(node, "recommends: new must be true or false")
                return None
            return {k: v for k, v in value.items() if v is not None}
        self.problem(node, "recommends must be a kind (restaurant, hotel, ...) or a mapping of kind, id, name, new")
        return None


# ===================================================================== names the domain must know


def check_against_domain(dialogues: Iterable[Dialogue], domain: Domain) -> None:
    """Raises ``DialogueFileError`` for intents, entities, slots, task types and responses the domain
    does not have (a typo would otherwise only show as a puzzling failure)."""
    problems: list[tuple[str, int | None, str]] = []
    intents = set(domain.intents) | {"restart"}

    def unknown(step_where: Where, what: str, name: str, known: Iterable[str]) -> None:
        problems.append((step_where.path, step_where.line, f"unknown {what} '{name}'{_close(name, known)}"))

    for dialogue in dialogues:
        for step in dialogue.steps:
            if isinstance(step, UserStep):
                wanted = (step.intent,) if isinstance(step.intent, str) else (step.intent or ())
                for intent in wanted:
                    if intent not in intents:
                        unknown(step.where, "intent", intent, intents)
                for entity in step.entities or {}:
                    if entity not in domain.entities:
                        unknown(step.where, "entity", entity, domain.entities)
                for slot in step.slots or {}:
                    if slot not in domain.slots:
                        unknown(step.where, "slot", slot, domain.slots)
                types = [t for t in step.tasks or {} if t != ANY_TASK]
                if step.focus and step.focus != NO_TASK:
                    types.append(step.focus)
                for task_type in types:
                    if task_type not in domain.tasks:
                        unknown(step.where, "task type", task_type, domain.tasks)
            elif isinstance(step, BotStep) and step.response and step.response not in domain.responses:
                unknown(step.where, "response", step.response, domain.responses)
    if problems:
        raise DialogueFileError(problems)


def _close(name: str, known: Iterable[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""
