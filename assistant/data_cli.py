"""``assistant data validate``: check an assistant's data files and report every problem with file:line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def add_commands(sub) -> None:
    data = sub.add_parser("data", help="check the assistant's data").add_subparsers(dest="what", required=True, metavar="WHAT")
    p = data.add_parser(
        "validate",
        help="report problems in the data files",
        description=(
            "Load every NLU file under the data directory and, when present, domain.yml; "
            "report each problem (and each inconsistency between them) with its file and line."
        ),
    )
    p.add_argument("--data", help="assistant data directory (default: ./data or the bundled one)")
    p.set_defaults(func=cmd_validate)


DOMAIN_FILE = "domain.yml"


def validate_nlu(data_dir: Path) -> list[str]:
    """Problems found in the NLU files, one message each (an empty list means all is well)."""
    return _check_nlu(data_dir)[0]


def validate_data(data_dir: Path) -> list[str]:
    """Problems in the NLU files and in ``domain.yml`` (checked against the NLU data) when it exists."""
    problems, merged, complete = _check_nlu(data_dir)
    domain_path = data_dir / DOMAIN_FILE
    if domain_path.exists():
        # compared with partial NLU data, every intent of a broken file would look unused
        problems.extend(validate_domain_file(domain_path, merged if complete else None, data_dir))
    return problems


def validate_domain_file(path: Path, nlu_data=None, data_dir: Path | None = None) -> list[str]:
    """Every problem of one domain file; compared with ``nlu_data`` when given (and with the places
    of ``data_dir``'s catalogue, which an area may name)."""
    from assistant.domain import DomainError, load_domain, validate_domain

    try:
        domain = load_domain(path, strict=False)
    except DomainError as exc:
        return [str(exc)]
    return validate_domain(domain, nlu_data, _place_area(data_dir, domain) if data_dir else None)


def _place_area(data_dir: Path, domain):
    """The catalogue's place -> area look-up; None without a readable catalogue (its own check says why)."""
    from assistant.agent import load_recommender
    from nlu.errors import DataError

    try:
        recommender = load_recommender(data_dir, domain)
    except (DataError, OSError):
        return None
    return recommender.landmark_area if recommender is not None else None


def _check_nlu(data_dir: Path) -> tuple[list[str], Any, bool]:
    """(problems, merged TrainingData or None, whether every NLU file loaded)."""
    from nlu.errors import DataError
    from nlu.loaders import load_data

    from assistant.default_model import nlu_files

    problems: list[str] = []
    files = nlu_files(data_dir)
    if not files:
        return [f"{data_dir / 'nlu'}: no NLU files (.yml, .yaml, .jsonl) found"], None, False
    loaded = []
    for path in files:
        try:
            loaded.append(load_data(path))
        except DataError as exc:
            problems.append(str(exc))
    if not loaded:
        return problems, None, False
    complete = len(loaded) == len(files)
    merged = loaded[0]
    for more in loaded[1:]:
        merged = merged.merge(more)
    counts: dict[str, int] = {}
    for e in merged.examples:
        counts[e.intent or ""] = counts.get(e.intent or "", 0) + 1
    for intent, n in sorted(counts.items()):
        if n < 2:
            problems.append(f"intent {intent!r} has only {n} example; give it at least a few")
    seen: dict[str, str] = {}
    for e in merged.examples:
        key = e.text.strip().lower()
        if key in seen and seen[key] != e.intent:
            problems.append(f"{e.source}: {e.text!r} is an example of both {seen[key]!r} and {e.intent!r}")
        seen.setdefault(key, e.intent or "")
    return problems, merged, complete


def cmd_validate(args) -> int:
    from assistant.paths import default_data_dir

    data_dir = Path(args.data) if args.data else default_data_dir()
    problems = validate_data(data_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {data_dir}", file=sys.stderr)
        return 1
    print(f"{data_dir}: no problems found")
    return 0
