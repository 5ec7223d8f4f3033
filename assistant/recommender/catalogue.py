"""The catalogue of things the assistant can recommend, loaded from JSONL and CSV files.

An item is ``{id, kind, name, attributes, description, popularity}``. Files are validated on load and
every problem is a ``CatalogueError`` naming the file, the line and what to fix.

JSONL: one JSON object per line (blank lines are skipped)::

    {"id": "r1", "kind": "restaurant", "name": "Curry Garden", "description": "...",
     "popularity": 0.8, "attributes": {"food": "indian", "area": "centre"}, "pricerange": "expensive"}

Any top-level key besides id, kind, name, description, popularity and attributes is an attribute too,
so flat records (as in the MultiWOZ venue databases) load as they are.

CSV: a header row with at least ``id``, ``kind`` and ``name``; ``description`` and ``popularity`` are
optional columns; every other column is an attribute. A cell is read as
  * nothing (the attribute is absent) when empty,
  * a list when it contains ``|``: ``"indian|thai"`` is ``["indian", "thai"]``; a trailing ``|``
    makes a one-element list (``"indian|"``). A literal ``|`` cannot appear in a CSV attribute: use JSONL,
  * an int (``-?(0|[1-9][0-9]*)``, so ``"01223"`` stays a string), a float (``3.5``),
    a boolean (``true``/``false``, any case), and otherwise a string.

Attribute values are strings, numbers, booleans or lists of them; ``null`` means "absent".
``popularity`` is a number in [0, 1], ``DEFAULT_POPULARITY`` when missing. Kinds are lower-cased.

Filtering (``Catalogue.filter``) is a hard filter; its matching rules are in ``AttributeIndex.mask``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from nlu.errors import DataError

DEFAULT_POPULARITY = 0.5
FIELDS = ("id", "kind", "name", "description", "popularity")
RESERVED = frozenset({*FIELDS, "attributes"})
# constraint values that mean "no constraint" (None, and MultiWOZ's "dontcare")
NO_CONSTRAINT = frozenset({"dontcare", "do not care", "don't care"})
SUFFIXES = (".jsonl", ".csv")

Scalar = Union[str, int, float, bool]
AttributeValue = Union[Scalar, list]
Constraint = Union[Scalar, list, tuple, set, frozenset, Callable[[Any], bool], None]

_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?")


class CatalogueError(DataError):
    """A catalogue file is malformed: ``path``, ``line`` (1-based, or None) and ``problem``."""


@dataclass(frozen=True)
class CatalogueItem:
    id: str
    kind: str
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    popularity: float = DEFAULT_POPULARITY

    # equal items have equal ids, so hashing by id agrees with the generated __eq__
    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def embedding_text(self) -> str:
        """What the embedder reads: the name gives a venue's identity, the description its character."""
        return f"{self.name}. {self.description}" if self.description else self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "attributes": dict(self.attributes),
            "description": self.description,
            "popularity": self.popularity,
        }


# ---------------------------------------------------------------- matching


def match_key(value: Any) -> Any:
    """The canonical form two values are compared in: case-insensitive strings, 4 == 4.0 == "4",
    True == "yes" == "true"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        number = float(value)
        return int(number) if number.is_integer() else number
    text = str(value).strip().casefold()
    if _INT.fullmatch(text) or _FLOAT.fullmatch(text):
        return match_key(float(text))
    return {"true": "yes", "false": "no"}.get(text, text)


def _elements(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _is_no_constraint(want: Any) -> bool:
    return want is None or (isinstance(want, str) and want.strip().casefold() in NO_CONSTRAINT)


def _accepts(predicate: Callable[[Any], bool], value: Any) -> bool:
    # a numeric test meeting a string value (or the reverse) simply does not match
    try:
        return bool(predicate(value))
    except (TypeError, ValueError):
        return False


class AttributeIndex:
    """Posting lists (attribute, canonical value) → rows, so a hard filter is a few numpy ops.

    Rows are positions in one kind's item list. ``"name"`` is indexed as an attribute too. A value
    held by at least 1/``DENSE_FROM`` of the rows keeps a boolean mask instead of row numbers: OR-ing
    masks is ~10x faster than scattering a million row numbers (2 ms → 0.2 ms at 1M rows).
    """

    DENSE_FROM = 64

    def __init__(self, size: int) -> None:
        self.size = size
        self._postings: dict[str, dict[Any, np.ndarray]] = {}  # rows (int64) or a mask (bool)
        # one original value per canonical key: what a callable constraint is asked about
        self._originals: dict[str, dict[Any, Any]] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], size: int | None = None) -> AttributeIndex:
        rows = list(rows)
        index = cls(len(rows) if size is None else size)
        lists: dict[str, dict[Any, list[int]]] = {}
        for row, attributes in enumerate(rows):
            for attribute, value in attributes.items():
                for element in _elements(value):
                    key = match_key(element)
                    lists.setdefault(attribute, {}).setdefault(key, []).append(row)
                    index._originals.setdefault(attribute, {}).setdefault(key, element)
        index._postings = {
            attribute: {key: index._posting(np.asarray(found, dtype=np.int64)) for key, found in by_key.items()}
            for attribute, by_key in lists.items()
        }
        return index

    def _posting(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) * self.DENSE_FROM < self.size:
            return rows
        mask = np.zeros(self.size, dtype=bool)
        mask[rows] = True
        return mask

    @classmethod
    def from_codes(cls, columns: Mapping[str, tuple[np.ndarray, list]]) -> AttributeIndex:
        """From integer-coded columns ``{attribute: (codes, vocabulary)}``; code -1 means absent.

        For synthetic or database-backed catalogues too large for a Python object per item.
        """
        size = len(next(iter(columns.values()))[0]) if columns else 0
        index = cls(size)
        for attribute, (codes, vocabulary) in columns.items():
            codes = np.asarray(codes)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(vocabulary) + 1))
            postings, originals = {}, {}
            for code, value in enumerate(vocabulary):
                key = match_key(value)
                rows = order[bounds[code] : bounds[code + 1]]
                postings[key] = np.concatenate([postings[key], rows]) if key in postings else rows
                originals.setdefault(key, value)
            index._postings[attribute] = {key: index._posting(rows) for key, rows in postings.items()}
            index._originals[attribute] = originals
        return index

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(self._postings)

    def mask(self, constraints: Mapping[str, Constraint] | None) -> np.ndarray:
        """Boolean mask of the rows that pass every constraint.

        * a scalar matches case-insensitively (see ``match_key``); a list, tuple or set matches any of
          its values; a callable is asked about each value (and a TypeError or ValueError it raises is
          "no match"),
        * a list attribute matches when any of its elements does,
        * an item without the attribute does not match,
        * a constraint that is None or "dontcare" is skipped, and so is one on an attribute that no row
          has (a booking slot such as ``people`` is not about the catalogue).
        """
        mask = np.ones(self.size, dtype=bool)
        for attribute, want in (constraints or {}).items():
            if _is_no_constraint(want) or attribute not in self._postings:
                continue
            postings = self._postings[attribute]
            if callable(want):
                keys = [key for key, value in self._originals[attribute].items() if _accepts(want, value)]
            elif isinstance(want, (list, tuple, set, frozenset)):
                keys = {match_key(value) for value in want if value is not None}
            else:
                keys = [match_key(want)]
            passing = np.zeros(self.size, dtype=bool)
            for key in keys:
                rows = postings.get(key)
                if rows is None:
                    continue
                if rows.dtype == bool:
                    passing |= rows
                else:
                    passing[rows] = True
            mask &= passing
        return mask


# ---------------------------------------------------------------- the catalogue


class Catalogue:
    """Items in load order, by id and by kind, with a content hash and a hard filter."""

    def __init__(self, items: Iterable[CatalogueItem]) -> None:
        self._items = tuple(items)
        self._by_id: dict[str, CatalogueItem] = {}
        self._by_kind: dict[str, list[CatalogueItem]] = {}
        for item in self._items:
            if item.id in self._by_id:
                raise ValueError(f"duplicate catalogue id {item.id!r}")
            self._by_id[item.id] = item
            self._by_kind.setdefault(item.kind, []).append(item)
        self._attribute_indexes: dict[str, AttributeIndex] = {}
        self._hash: str | None = None

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[CatalogueItem]:
        return iter(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    @property
    def items(self) -> tuple[CatalogueItem, ...]:
        return self._items

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds present, in order of first appearance."""
        return tuple(self._by_kind)

    def get(self, item_id: str, default: CatalogueItem | None = None) -> CatalogueItem | None:
        return self._by_id.get(item_id, default)

    def by_kind(self, kind: str) -> list[CatalogueItem]:
        """The items of a kind in load order (these positions are the rows of masks and indexes)."""
        return list(self._by_kind.get(kind, ()))

    def attributes(self, kind: str) -> frozenset[str]:
        """The attribute names that at least one item of the kind carries (plus "name")."""
        return self.attribute_index(kind).attributes

    def attribute_index(self, kind: str) -> AttributeIndex:
        if kind not in self._attribute_indexes:
            items = self._by_kind.get(kind, ())
            self._attribute_indexes[kind] = AttributeIndex.from_rows(
                {**item.attributes, "name": item.name} for item in items
            )
        return self._attribute_indexes[kind]

    def filter_mask(self, kind: str, constraints: Mapping[str, Constraint] | None = None) -> np.ndarray:
        """Boolean mask over ``by_kind(kind)`` of the items passing the hard filter."""
        return self.attribute_index(kind).mask(constraints)

    def filter(self, kind: str, constraints: Mapping[str, Constraint] | None = None) -> list[CatalogueItem]:
        """The items of a kind that pass every constraint (rules in ``AttributeIndex.mask``)."""
        items = self._by_kind.get(kind, ())
        return [items[row] for row in np.flatnonzero(self.filter_mask(kind, constraints))]

    def content_hash(self) -> str:
        """sha256 of the normalised items, independent of their order and of the files they came from."""
        if self._hash is None:
            digest = hashlib.sha256()
            for item in sorted(self._items, key=lambda it: it.id):
                line = json.dumps(item.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                digest.update(line.encode("utf-8") + b"\n")
            self._hash = digest.hexdigest()
        return self._hash


# ---------------------------------------------------------------- loading


def load_catalogue(paths: str | Path | Iterable[str | Path], kinds: Iterable[str] | None = None) -> Catalogue:
    """Load and validate catalogue files: ``.jsonl`` and ``.csv`` files, or directories of them
    (searched recursively, in name order). With ``kinds``, any other kind is an error."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    allowed = None if kinds is None else frozenset(kind.strip().lower() for kind in kinds)
    items: list[CatalogueItem] = []
    first_seen: dict[str, str] = {}
    for file in _catalogue_files(paths):
        reader = _read_jsonl if file.suffix.lower() == ".jsonl" else _read_csv
        for line, record in reader(file):
            item = _make_item(record, file, line, allowed)
            if item.id in first_seen:
                raise CatalogueError(file, line, f"duplicate id {item.id!r} (first at {first_seen[item.id]})")
            first_seen[item.id] = f"{file}:{line}"
            items.append(item)
    return Catalogue(items)


def _catalogue_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                raise CatalogueError(path, None, "the directory holds no .jsonl or .csv catalogue files")
            files.extend(found)
        elif not path.exists():
            raise CatalogueError(path, None, "no such file or directory")
        elif path.suffix.lower() not in SUFFIXES:
            raise CatalogueError(path, None, f"unsupported file type {path.suffix or '(none)'!r}; use .jsonl or .csv")
        else:
            files.append(path)
    return files


def _open_text(path: Path):
    try:
        # utf-8-sig: spreadsheets like to start CSV files with a byte-order mark
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CatalogueError(path, None, f"cannot be read: {exc.strerror or exc}") from exc


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as handle:
        try:
            lines = list(handle)
        except UnicodeDecodeError as exc:
            raise CatalogueError(path, None, f"is not UTF-8 text ({exc.reason})") from exc
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogueError(path, number, f"bad JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise CatalogueError(path, number, f"expected a JSON object, got {_type_name(record)}")
        attributes = record.pop("attributes", {})
        if not isinstance(attributes, dict):
            raise CatalogueError(path, number, f"'attributes' must be an object, got {_type_name(attributes)}")
        for name in attributes:
            if name in RESERVED:
                raise CatalogueError(path, number, f"attribute {name!r} clashes with the item field of that name")
        extra = {key: record.pop(key) for key in list(record) if key not in FIELDS}
        clash = sorted(extra.keys() & attributes.keys())
        if clash:
            raise CatalogueError(path, number, f"attribute {clash[0]!r} is given both at top level and in 'attributes'")
        record["attributes"] = {**attributes, **extra}
        yield number, record


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise CatalogueError(path, 1, "the file is empty; expected a header row (id, kind, name, ...)")
            header = [column.strip() for column in header]
            for required in ("id", "kind", "name"):
                if required not in header:
                    raise CatalogueError(path, 1, f"missing column {required!r} in the header")
            seen = set()
            for column in header:
                if not column:
                    raise CatalogueError(path, 1, "a header column has no name")
                if column in seen:
                    raise CatalogueError(path, 1, f"column {column!r} appears twice in the header")
                seen.add(column)
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise CatalogueError(path, line, f"the row has {len(cells)} fields, the header {len(header)}")
                row = dict(zip(header, cells))
                record: dict[str, Any] = {key: row[key] for key in ("id", "kind", "name")}
                if row.get("description", "").strip():
                    record["description"] = row["description"]
                if row.get("popularity", "").strip():
                    text = row["popularity"].strip()
                    try:
                        record["popularity"] = float(text)
                    except ValueError:
                        raise CatalogueError(path, line, f"popularity {text!r} is not a number") from None
                record["attributes"] = {
                    column: _parse_cell(cell)
                    for column, cell in row.items()
                    if column not in FIELDS and cell.strip()
                }
                yield line, record
        except UnicodeDecodeError as exc:
            raise CatalogueError(path, None, f"is not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise CatalogueError(path, reader.line_num, f"bad CSV: {exc}") from exc


def _parse_cell(cell: str) -> AttributeValue:
    if "|" in cell:
        return [_parse_scalar(part) for part in cell.split("|") if part.strip()]
    return _parse_scalar(cell)


def _parse_scalar(text: str) -> Scalar:
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _make_item(record: dict[str, Any], path: Path, line: int, kinds: frozenset[str] | None) -> CatalogueItem:
    def fail(problem: str) -> CatalogueError:
        return CatalogueError(path, line, problem)

    raw_id = record.get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise fail("missing id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise fail(f"id must be a string or an integer, got {_type_name(raw_id)}")
    item_id = str(raw_id).strip()

    kind = record.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        raise fail(f"item {item_id!r}: missing kind" if kind is None or isinstance(kind, str)
                   else f"item {item_id!r}: kind must be a string, got {_type_name(kind)}")
    kind = kind.strip().lower()
    if kinds is not None and kind not in kinds:
        raise fail(f"item {item_id!r}: unknown kind {kind!r}; expected one of {', '.join(sorted(kinds))}")

    name = record.get("name")
    if name is not None and not isinstance(name, str):
        raise fail(f"item {item_id!r}: name must be a string, got {_type_name(name)}")
    if not name or not name.strip():
        raise fail(f"item {item_id!r}: empty name")

    description = record.get("description")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise fail(f"item {item_id!r}: description must be a string, got {_type_name(description)}")

    popularity = record.get("popularity")
    if popularity is None:
        popularity = DEFAULT_POPULARITY
    if isinstance(popularity, bool) or not isinstance(popularity, (int, float)):
        raise fail(f"item {item_id!r}: popularity must be a number in [0, 1], got {_type_name(popularity)}")
    if not (0.0 <= popularity <= 1.0):  # also rejects NaN
        raise fail(f"item {item_id!r}: popularity {popularity} is outside [0, 1]")

    attributes: dict[str, AttributeValue] = {}
    for attribute, value in record.get("attributes", {}).items():
        if not attribute.strip():
            raise fail(f"item {item_id!r}: an attribute has an empty name")
        if value is None:
            continue
        attributes[attribute.strip()] = _check_value(value, f"item {item_id!r}: attribute {attribute!r}", fail)
    return CatalogueItem(item_id, kind, name.strip(), attributes, description.strip(), float(popularity))


def _check_value(value: Any, where: str, fail: Callable[[str], CatalogueError]) -> AttributeValue:
    allowed = "a string, number, boolean or a list of them"
    if isinstance(value, list):
        return [_check_scalar(element, where, fail, allowed) for element in value if element is not None]
    return _check_scalar(value, where, fail, allowed)


def _check_scalar(value: Any, where: str, fail: Callable[[str], CatalogueError], allowed: str) -> Scalar:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(f"{where} is {value}; numbers must be finite")
        return value
    raise fail(f"{where} is {_type_name(value)}; expected {allowed}")
