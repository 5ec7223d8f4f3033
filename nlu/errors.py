"""Errors the NLU raises for users: each says where the problem is and what to do."""

from __future__ import annotations


class NluError(Exception):
    """Base class of every error the NLU raises on purpose."""


class DataError(NluError):
    """A training-data file is malformed. Carries the file, the line and the problem."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class ModelNotFoundError(NluError):
    """A model directory is missing or incomplete."""
