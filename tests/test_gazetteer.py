"""Known entity values as tagger features: the gazetteer, its cross-fitting, and a tiny model that
trains with it, saves it and parses with it."""

import json

from nlu.artifacts import GAZETTEER, load_model
from nlu.gazetteer import Gazetteer, cross_fitted
from nlu.train import evaluate_examples, train
from nlu.types import EntitySpan, Example

from conftest import tiny_config

TAGS = ["O", "B-artist", "I-artist", "B-playlist", "I-playlist"]
INDEX = {t: i for i, t in enumerate(TAGS)}


def example(text, *spans):
    entities = []
    for value, kind in spans:
        start = text.index(value)
        entities.append(EntitySpan(start, start + len(value), kind, value))
    return Example(text, "add", entities)


def test_values_of_the_training_data_and_of_lookup_tables_named_after_an_entity():
    gazetteer = Gazetteer.build(
        [example("add queen to my rock classics playlist", ("queen", "artist"), ("rock classics", "playlist")),
         example("put Queen on road trip", ("Queen", "playlist"))],
        lookups={"artist": ["Daft Punk"], "colours": ["red"]}, types=["artist", "playlist"])
    assert gazetteer.entries == {"daft punk": ["artist"], "queen": ["artist", "playlist"],
                                 "rock classics": ["playlist"]}
    words = "play daft punk and queen rock classics".split()
    assert gazetteer.matches(words) == [(1, 3, "artist"), (4, 5, "artist"), (4, 5, "playlist"), (5, 7, "playlist")]
    assert gazetteer.features(words, INDEX) == [[], [1], [2], [], [1, 3], [3], [4]]
    assert Gazetteer.from_dict(json.loads(json.dumps(gazetteer.to_dict()))) == gazetteer


def test_cross_fitting_gives_each_example_the_values_of_the_other_half():
    examples = [example(f"add band{i} now", (f"band{i}", "artist")) for i in range(10)]
    halves = cross_fitted(examples, {"artist": ["abba"]}, ["artist"], seed=3)
    assert len({id(h) for h in halves}) == 2
    for e, half in zip(examples, halves):
        own = e.entities[0].value
        assert own not in half.entries and "abba" in half.entries and len(half) == 6


def test_a_tiny_model_reads_known_values(tiny_data, tmp_path):
    config = tiny_config(gazetteer=True)
    train(tiny_data, tiny_data, config, tmp_path / "m", progress=False, log=lambda m: None)
    saved = json.loads((tmp_path / "m" / GAZETTEER).read_text())
    assert saved["entries"]
    bundle = load_model(tmp_path / "m")
    assert bundle.predictor.gazetteer is not None and len(bundle.predictor.gazetteer) == len(saved["entries"])
    result = evaluate_examples(bundle.predictor, tiny_data.examples)
    assert result.intent_accuracy == 1.0 and result.entity_f1 >= 0.9
    (tmp_path / "m" / GAZETTEER).unlink()
    import pytest

    from nlu.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="gazetteer.json"):
        load_model(tmp_path / "m")


def test_collate_marks_each_words_known_tags():
    from nlu.features import EncodedText, collate

    items = [EncodedText([101, 5, 6, 102], [1, 2], [1, 2]), EncodedText([101, 7, 102], [1], [1])]
    batch = collate(items, 0, gazetteer=[[[1, 3], []], [[4]]], n_tags=5)
    assert batch.gazetteer.shape == (2, 2, 5)
    assert batch.gazetteer.nonzero().tolist() == [[0, 0, 1], [0, 0, 3], [1, 0, 4]]
    assert collate(items, 0).gazetteer is None
