"""Tests of the training-data loaders (Rasa YAML, JSONL, directory loading, writer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.errors import DataError
from nlu.loaders import load_data, load_jsonl, load_rasa_yaml, parse_rasa_yaml, write_rasa_yaml
from nlu.types import EntitySpan, Example, TrainingData

# the shared benchmark data sits beside the checkout (skipped where it does not)
SNIPS_DEV = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "snips" / "dev.jsonl"

RICH = """\
version: "3.1"
nlu:
- intent: book_table
  examples: |
    - book a table in [Berlin](city) for [two](count:2)
    - fly to [NYC]{"entity": "city", "value": "New York", "role": "destination", "group": "1"}
    - i live in [the big apple](city)
    - table for [Four](count)
- intent: greet
  metadata:
    sentiment: neutral
  examples:
  - hello
  - text: hi [Anna](name)
    metadata: {lang: en}
- synonym: four
  examples: |
    - 4
    - Four
- synonym: New York
  examples: |
    - the Big Apple
- lookup: city
  examples: |
    - Paris
    - Rome
- regex: zip
  examples: |
    - \\d{5}
responses:
  utter_greet:
  - text: hi
"""


def _plain(data: TrainingData) -> list[tuple[str, str | None, list[EntitySpan]]]:
    return [(e.text, e.intent, e.entities) for e in data.examples]


def _err(text: str) -> DataError:
    with pytest.raises(DataError) as info:
        parse_rasa_yaml(text, "data.yml")
    return info.value


# ------------------------------------------------------------ Rasa YAML


def test_rich_file_examples_and_entities() -> None:
    data = parse_rasa_yaml(RICH, "nlu.yml")
    texts = [e.text for e in data.examples]
    assert texts == [
        "book a table in Berlin for two",
        "fly to NYC",
        "i live in the big apple",
        "table for Four",
        "hello",
        "hi Anna",
    ]
    assert data.intents == ["book_table", "greet"]
    for ex in data.examples:
        for span in ex.entities:
            assert 0 <= span.start < span.end <= len(ex.text)
    first = data.examples[0].entities
    assert first == [EntitySpan(16, 22, "city", "Berlin"), EntitySpan(27, 30, "count", "2")]
    assert data.examples[1].entities == [EntitySpan(7, 10, "city", "New York", "destination", "1")]
    # value through a synonym declared later in the file (lower-cased lookup)
    assert data.examples[2].entities[0].value == "New York"
    assert data.examples[3].entities[0].value == "four"
    assert data.examples[5].entities == [EntitySpan(3, 7, "name", "Anna")]


def test_rich_file_source_lines() -> None:
    data = parse_rasa_yaml(RICH, "nlu.yml")
    lines = [e.source for e in data.examples]
    assert lines == ["nlu.yml:5", "nlu.yml:6", "nlu.yml:7", "nlu.yml:8", "nlu.yml:13", "nlu.yml:14"]
    source_lines = RICH.splitlines()
    assert "Berlin" in source_lines[4] and "Anna" in source_lines[13]


def test_synonyms_lookups_regexes() -> None:
    data = parse_rasa_yaml(RICH)
    assert data.synonyms == {
        "two": "2",
        "nyc": "New York",
        "four": "four",
        "4": "four",
        "new york": "New York",
        "the big apple": "New York",
    }
    assert data.lookups == {"city": ["Paris", "Rome"]}
    assert data.regexes == {"zip": [r"\d{5}"]}


def test_block_scalar_line_numbers_with_blank_lines() -> None:
    text = "nlu:\n- intent: a\n  examples: |-\n\n    - one\n\n    - two\n"
    data = parse_rasa_yaml(text, "x.yml")
    assert [e.source for e in data.examples] == ["x.yml:5", "x.yml:7"]


def test_list_entry_in_block_text_line() -> None:
    text = "nlu:\n- intent: a\n  examples:\n  - text: |\n      hi [x](e)\n"
    data = parse_rasa_yaml(text, "x.yml")
    assert data.examples[0].source == "x.yml:5"
    assert data.examples[0].text == "hi x"


def test_several_entities_on_one_span() -> None:
    text = 'nlu:\n- intent: a\n  examples: |\n    - go [home][{"entity": "place"}, {"entity": "dest", "role": "to"}]\n'
    ex = parse_rasa_yaml(text).examples[0]
    assert ex.text == "go home"
    assert ex.entities == [EntitySpan(3, 7, "place", "home"), EntitySpan(3, 7, "dest", "home", "to")]


def test_json_annotation_with_braces_in_value() -> None:
    text = 'nlu:\n- intent: a\n  examples: |\n    - say [hi]{"entity": "w", "value": "}{"} now\n'
    ex = parse_rasa_yaml(text).examples[0]
    assert ex.text == "say hi now"
    assert ex.entities[0].value == "}{"


def test_other_top_level_keys_are_ignored() -> None:
    text = "version: '3.1'\nstories: []\nrules: []\nnlu:\n- intent: a\n  examples: |\n    - hi\n"
    assert [e.text for e in parse_rasa_yaml(text).examples] == ["hi"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("nlu:\n- intent: a\n  examples: [b\n", 4, "invalid YAML"),
        ("nlu:\n- intent: a\n\texamples: |\n", 3, "invalid YAML"),
        ("version: '3.1'\n", None, "no top-level `nlu:`"),
        ("- a\n- b\n", 1, "top level must be a mapping"),
        ("nlu:\n  intent: a\n", 2, "must hold a list"),
        ("nlu:\n- hello\n", 2, "must be a mapping"),
        ("nlu:\n- examples: |\n    - hi\n", 2, "exactly one of intent"),
        ("nlu:\n- intent: a\n  synonym: b\n  examples: |\n    - hi\n", 2, "found intent and synonym"),
        ("nlu:\n- intent:\n  examples: |\n    - hi\n", 2, "empty intent name"),
        ("nlu:\n- intent: ''\n  examples: |\n    - hi\n", 2, "empty intent name"),
        ("nlu:\n- intent: a\n", 2, "has no `examples:`"),
        ("nlu:\n- intent: a\n  examples: |\n    - hi\n    hello\n", 5, "must start with '- '"),
        ("nlu:\n- intent: a\n  examples: |\n    - hi\n    # c\n", 5, "comments are not allowed"),
        ("nlu:\n- intent: a\n  examples: >\n    - hi\n    - ho\n", 3, "use 'examples: |'"),
        ("nlu:\n- intent: a\n  examples: |\n    - ok\n    -\n", 5, "empty example"),
        ("nlu:\n- intent: a\n  examples:\n    k: v\n", 4, "must be a block"),
        ("nlu:\n- intent: a\n  examples: |\n    - [Berlin(city)\n", 4, "never closed by ']'"),
        ("nlu:\n- intent: a\n  examples: |\n    - Berlin](city)\n", 4, "no matching '['"),
        ("nlu:\n- intent: a\n  examples: |\n    - [a [b](x)](y)\n", 4, "never closed by ']'"),
        ("nlu:\n- intent: a\n  examples: |\n    - x\n    - in [Berlin](city\n", 5, "never closed by ')'"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin] (city)\n", 4, "followed directly"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin]{entity: city}\n", 4, "bad JSON"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin]{\"value\": \"b\"}\n", 4, 'no "entity" key'),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin]{\"entity\": \"\"}\n", 4, "non-empty string"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin]{\"entity\": \"c\", \"x\": 1}\n", 4, "unknown key"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [](city)\n", 4, "empty entity value"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [ Berlin](city)\n", 4, "spaces inside"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin]()\n", 4, "empty entity name"),
        ("nlu:\n- intent: a\n  examples: |\n    - in [Berlin](city:)\n", 4, "empty value"),
        ("nlu:\n- regex: r\n  examples: |\n    - ok\n    - a(b\n", 5, "does not compile"),
        ("nlu:\n- intent: a\n  examples: |\n    - hi\n  colour: red\n", 5, "unknown key 'colour'"),
        ("nlu:\n- intent: a\n  examples: |\n    - hi\n  examples: |\n    - ho\n", 5, "duplicate key"),
        (
            "nlu:\n- synonym: A\n  examples: |\n    - x\n- synonym: B\n  examples: |\n    - X\n",
            7,
            "synonym of both 'A' (line 4) and 'B'",
        ),
    ],
)
def test_malformed_yaml_reports_line(text: str, line: int | None, words: str) -> None:
    err = _err(text)
    assert err.path == "data.yml"
    assert err.line == line, str(err)
    assert words in err.problem, str(err)


def test_empty_files(tmp_path: Path) -> None:
    for content in ("", "  \n\n", "# only a comment\n"):
        path = tmp_path / "nlu.yml"
        path.write_text(content)
        with pytest.raises(DataError, match="empty"):
            load_rasa_yaml(path)


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    binary = tmp_path / "b.yml"
    binary.write_bytes(b"nlu:\n\x00\x01\x02")
    with pytest.raises(DataError, match="binary") as info:
        load_rasa_yaml(binary)
    assert info.value.line == 2
    latin = tmp_path / "l.yml"
    latin.write_bytes("nlu:\n- intent: a\n  examples: |\n    - caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8") as info:
        load_rasa_yaml(latin)
    assert info.value.line == 4


def test_load_rasa_yaml_file_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text("\ufeffnlu:\n- intent: a\n  examples: |\n    - hi\n", encoding="utf-8")
    data = load_rasa_yaml(path)
    assert data.examples[0].source == f"{path}:4"


# ------------------------------------------------------------ JSONL


def _jsonl_line(text: str, tags: list[str], intent: object = "Play") -> str:
    return json.dumps({"text": text, "tokens": text.split(), "tags": tags, "intent": intent})


def test_jsonl_spans(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [
        _jsonl_line("add step to me to the 50 clásicos playlist",
                    ["O", "B-entity_name", "I-entity_name", "I-entity_name", "O", "O", "B-playlist", "I-playlist", "O"]),
        "",
        # I- after O and I- after another type start new entities (conlleval)
        _jsonl_line("a b c d e", ["I-x", "I-x", "O", "I-y", "I-x"]),
        _jsonl_line("p q r", ["B-x", "B-x", "I-y"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = load_jsonl(path)
    assert len(data.examples) == 3
    assert [e.source for e in data.examples] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    first = data.examples[0]
    assert [(s.entity, s.value) for s in first.entities] == [("entity_name", "step to me"), ("playlist", "50 clásicos")]
    assert [(s.entity, s.value) for s in data.examples[1].entities] == [("x", "a b"), ("y", "d"), ("x", "e")]
    assert [(s.entity, s.value) for s in data.examples[2].entities] == [("x", "p"), ("x", "q"), ("y", "r")]
    for ex in data.examples:
        assert ex.tokens is not None and ex.text == " ".join(t.text for t in ex.tokens)
        for tok in ex.tokens:
            assert ex.text[tok.start : tok.end] == tok.text
        for span in ex.entities:
            assert ex.text[span.start : span.end] == span.value


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"text": "a", "tokens": ["a"], "tags": ["O"]}), "missing field(s) intent"),
        (json.dumps({"text": "a b", "tokens": ["a", "b"], "tags": ["O"], "intent": "x"}), "2 tokens but 1 tags"),
        (_jsonl_line("a b", ["O", "X-b"]), "not IOB2"),
        (_jsonl_line("a b", ["O", "B-"]), "not IOB2"),
        (_jsonl_line("a", ["O"], intent=3), '"intent" must be a non-empty string'),
        (_jsonl_line("a", ["O"], intent=None), '"intent" must be a non-empty string'),
        (json.dumps({"text": "a  b", "tokens": ["a", "b"], "tags": ["O", "O"], "intent": "x"}), '"text" must equal'),
        (json.dumps({"text": "", "tokens": [], "tags": [], "intent": "x"}), '"tokens" must be'),
    ],
)
def test_malformed_jsonl_reports_line(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(_jsonl_line("ok", ["O"]) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_jsonl(path)
    assert info.value.line == 3
    assert words in info.value.problem


def test_jsonl_bad_encoding_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(_jsonl_line("ok", ["O"]).encode() + b"\n\xff\xfe\n")
    with pytest.raises(DataError, match="UTF-8") as info:
        load_jsonl(path)
    assert info.value.line == 2
    path.write_text("\n\n")
    with pytest.raises(DataError, match="empty"):
        load_jsonl(path)


@pytest.mark.skipif(not SNIPS_DEV.exists(), reason="SNIPS benchmark not present")
def test_real_snips_dev() -> None:
    data = load_data(SNIPS_DEV)
    assert len(data.examples) == 700
    assert len(data.intents) == 7
    assert sum(len(e.entities) for e in data.examples) == 1794
    assert len(data.entity_types) == 39
    for ex in data.examples:
        for span in ex.entities:
            assert ex.text[span.start : span.end] == span.value


# ------------------------------------------------------------ load_data


def test_load_data_directory(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "b.yml").write_text("nlu:\n- intent: b\n  examples: |\n    - bee\n")
    (tmp_path / "nlu" / "a.yaml").write_text(
        "nlu:\n- intent: a\n  examples: |\n    - [ay](x)\n- lookup: x\n  examples: |\n    - ay\n"
    )
    (tmp_path / "domain.yml").write_text("intents:\n- a\nresponses: {}\n")
    (tmp_path / "stories.yml").write_text("stories: []\n")
    (tmp_path / "notes.txt").write_text("not data")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yml").write_text("this: [is broken")
    (tmp_path / "z.jsonl").write_text(_jsonl_line("zed", ["B-x"]) + "\n")
    data = load_data(tmp_path)
    assert [e.text for e in data.examples] == ["ay", "bee", "zed"]
    assert data.lookups == {"x": ["ay"]}
    # a broken nlu file inside a directory still fails loudly
    (tmp_path / "nlu" / "c.yml").write_text("nlu:\n- intent: c\n")
    with pytest.raises(DataError, match="c.yml:2"):
        load_data(tmp_path)


def test_load_data_several_paths_merge(tmp_path: Path) -> None:
    one = tmp_path / "one.yml"
    one.write_text("nlu:\n- synonym: NY\n  examples: |\n    - nyc\n- regex: r\n  examples: |\n    - a+\n")
    two = tmp_path / "two.yml"
    two.write_text("nlu:\n- intent: go\n  examples: |\n    - go\n- regex: r\n  examples: |\n    - a+\n    - b+\n")
    data = load_data([one, str(two)])
    assert data.synonyms == {"ny": "NY", "nyc": "NY"}
    assert data.regexes == {"r": ["a+", "b+"]}
    assert [e.source for e in data.examples] == [f"{two}:4"]


def test_load_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_data(tmp_path / "missing.yml")
    other = tmp_path / "data.json"
    other.write_text("{}")
    with pytest.raises(DataError, match=r"\.jsonl"):
        load_data(other)
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(DataError, match="no NLU training data"):
        load_data(empty_dir)
    with pytest.raises(DataError):
        load_data([])
    # a single YAML file without `nlu` is an error, unlike inside a directory
    domain = tmp_path / "domain.yml"
    domain.write_text("intents: [a]\n")
    with pytest.raises(DataError, match="nlu"):
        load_data(domain)


# ------------------------------------------------------------ writer


def _assert_round_trip(data: TrainingData) -> TrainingData:
    again = parse_rasa_yaml(write_rasa_yaml(data))
    assert _plain(again) == _plain(data)
    assert again.synonyms == data.synonyms
    assert again.lookups == data.lookups
    assert again.regexes == data.regexes
    return again


def test_round_trip_rich_file() -> None:
    data = parse_rasa_yaml(RICH)
    _assert_round_trip(data)
    written = write_rasa_yaml(data)
    assert "[Berlin](city)" in written
    assert '[NYC]{"entity": "city", "value": "New York", "role": "destination", "group": "1"}' in written


def test_round_trip_keeps_interleaved_order_and_odd_names() -> None:
    data = TrainingData(
        examples=[
            Example("a", "yes"),
            Example("go to berlin", "x: y", [EntitySpan(6, 12, "city", "berlin")]),
            Example("b", "yes"),
            Example("c", "null"),
        ],
        lookups={"true": ["1", "- 2"]},
    )
    again = _assert_round_trip(data)
    assert [e.intent for e in again.examples] == ["yes", "x: y", "yes", "null"]


def test_round_trip_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(_jsonl_line("play the 50 clásicos now", ["O", "O", "B-p", "I-p", "O"]) + "\n", encoding="utf-8")
    _assert_round_trip(load_jsonl(path))


def test_writer_rejects_what_rasa_yaml_cannot_hold() -> None:
    with pytest.raises(ValueError, match="no intent"):
        write_rasa_yaml(TrainingData([Example("hi", None)]))
    with pytest.raises(ValueError, match="brackets"):
        write_rasa_yaml(TrainingData([Example("a [b]", "x")]))
    overlapping = Example("new york", "x", [EntitySpan(0, 8, "a", "new york"), EntitySpan(4, 8, "b", "york")])
    with pytest.raises(ValueError, match="overlapping"):
        write_rasa_yaml(TrainingData([overlapping]))
