"""Labelled conversations: the :class:`Labelled` type and its readers (JSONL, CSV, Python).

Labelled data is the score input (``{"id", "language", "turns": [...]}``) plus a top-level
``"label"`` (did this conversation need a human: 0/1, true/false, ``"escalated"`` /
``"not_escalated"``) or per-turn labels in ``turns[i].metadata.label`` (customer turns).
As with :mod:`empathy_signals.readers`, a bad record becomes an error record naming its
line and field; none is dropped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..readers import (
    ErrorDetail,
    ErrorRecord,
    format_for,
    jsonl_lines,
    read_bytes,
    read_conversation,
    read_input,
)
from ..schema import Conversation

#: Accepted spellings of an outcome label (besides the numbers 0 and 1 and the booleans).
LABEL_VALUES: Mapping[str, int] = {
    "1": 1, "0": 0, "true": 1, "false": 0, "escalated": 1, "not_escalated": 0,
}
_LABEL_HELP = '0/1, true/false or "escalated"/"not_escalated"'


# The base of the package's records (Labelled, the fit report, the metrics): immutable, no
# unknown key, no NaN.
class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Labelled(_Frozen):
    """A conversation and its outcome.

    ``label``: whether the conversation needed a human (1) or not (0). ``turn_labels``: turn
    index -> whether, at that customer turn, the conversation needed a human. At least one
    of the two is given; when both are, they agree (a 0 conversation has no 1 turn; a 1
    conversation whose customer turns are all labelled has a 1 turn).
    """

    conversation: Conversation
    label: Literal[0, 1] | None = None
    turn_labels: dict[int, Literal[0, 1]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Labelled:
        turns = self.conversation.turns
        customer = [i for i, t in enumerate(turns) if t.speaker == "customer"]
        if not customer:
            raise ValueError("turns: no customer turn, nothing to score")
        if self.label is None and not self.turn_labels:
            raise ValueError(
                f'label: no outcome; give a top-level "label" ({_LABEL_HELP}) '
                "or turns[i].metadata.label on customer turns"
            )
        for i in sorted(self.turn_labels):
            if not 0 <= i < len(turns):
                raise ValueError(f"turns[{i}].metadata.label: no turn {i} in this conversation")
            if turns[i].speaker != "customer":
                raise ValueError(
                    f"turns[{i}].metadata.label: labels belong on customer turns; "
                    f"turn {i} is a {turns[i].speaker} turn"
                )
        if self.label is not None and self.turn_labels:
            positive = [i for i, y in sorted(self.turn_labels.items()) if y == 1]
            if self.label == 0 and positive:
                raise ValueError(
                    f"label: 0 contradicts turns[{positive[0]}].metadata.label = 1"
                )
            if self.label == 1 and not positive and set(customer) <= set(self.turn_labels):
                raise ValueError("label: 1 but every customer turn is labelled 0")
        return self

    @property
    def outcome(self) -> int:
        """The conversation's label (the peak of its turn labels when only those are given)."""
        if self.label is not None:
            return self.label
        return max(self.turn_labels.values())


class _BadRecord(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _parse_label(value: object, field: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in LABEL_VALUES:
        return LABEL_VALUES[value.strip().lower()]
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise _BadRecord(field, f"{field}: must be {_LABEL_HELP}; got {shown}")


def _split_labels(obj: dict[str, Any]) -> tuple[dict[str, Any], int | None, dict[int, int]]:
    """The conversation part of a labelled record, its label and its turn labels."""
    obj = dict(obj)
    label = obj.pop("label", None)  # null: no conversation label (turn labels may say it)
    if label is not None:
        label = _parse_label(label, "label")
    turn_labels: dict[int, int] = {}
    turns = obj.get("turns")
    if isinstance(turns, list | tuple):
        for i, turn in enumerate(turns):
            metadata = turn.get("metadata") if isinstance(turn, dict) else None
            if isinstance(metadata, dict) and "label" in metadata:
                turn_labels[i] = _parse_label(metadata["label"], f"turns[{i}].metadata.label")
    return obj, label, turn_labels


def _labelled_of(conversation: Conversation, label: int | None, turn_labels: dict[int, int]) -> Labelled:
    try:
        return Labelled(conversation=conversation, label=label, turn_labels=turn_labels)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        field = message.split(":", 1)[0] if ":" in message else None
        raise _BadRecord(field, message) from None


def as_labelled(item: Labelled | Mapping[str, Any] | tuple[Any, Any]) -> Labelled:
    """A :class:`Labelled` from a labelled record (the JSONL shape), a ``(conversation,
    label)`` pair, or a :class:`Labelled`.

    Raises
    ------
    InputError
        Naming the bad field (``label``, ``turns[2].metadata.label``, ``turns[0].speaker``).
    """
    if isinstance(item, Labelled):
        return item
    try:
        if isinstance(item, tuple) and len(item) == 2:
            conversation, label = item
            if not isinstance(conversation, Conversation):
                conversation = Conversation.model_validate(conversation)
            parsed = None if label is None else _parse_label(label, "label")
            _, _, turn_labels = _split_labels(conversation.model_dump())
            return _labelled_of(conversation, parsed, turn_labels)
        if not isinstance(item, Mapping):
            raise InputError(
                "a labelled conversation must be a Labelled, a mapping or a (conversation, "
                f"label) pair; got {type(item).__name__}", field="labelled", value=item,
            )
        obj, label, turn_labels = _split_labels(dict(item))
        return _labelled_of(Conversation.model_validate(obj), label, turn_labels)
    except _BadRecord as bad:
        raise InputError(bad.message, field=bad.field) from None
    except ValidationError as exc:
        from ..detector import validation_error

        raise validation_error(exc) from None


def _labelled_items(
    labelled: Iterable[Labelled | Mapping[str, Any] | tuple[Any, Any]],
) -> list[Labelled]:
    """Every item as a :class:`Labelled` (see :func:`as_labelled`).

    Raises
    ------
    InputError
        At the first bad item, its position in the message (``labelled[3]: ...``).
    """
    items = []
    for i, item in enumerate(labelled):
        try:
            items.append(as_labelled(item))
        except InputError as exc:
            raise InputError(f"labelled[{i}]: {exc}", field=exc.field, value=exc.value) from None
    return items


def read_labelled(
    path: str | Path,
    *,
    format: Literal["auto", "jsonl", "csv"] = "auto",
    language: Literal["fr", "en"] | None = None,
) -> Iterator[Labelled | ErrorRecord]:
    """Read labelled conversations: one :class:`Labelled` or :class:`ErrorRecord` per record.

    JSONL (``-``: stdin): a conversation per line with a top-level ``label`` and/or
    ``turns[i].metadata.label``. CSV: the score input's columns plus a ``label`` column (each
    row's label lands in ``metadata.label``: per-turn labels; leave it empty on bot rows).
    Like :mod:`empathy_signals.readers`, a bad record becomes an error record naming its line
    and field; none is dropped.

    Raises
    ------
    InputError
        If the format is not JSONL or CSV.
    """
    fmt = format_for(path) if format == "auto" else format
    if fmt == "csv":
        for record in read_input(path, format="csv", language=language):
            if isinstance(record, ErrorRecord):
                yield record
                continue
            try:
                _, label, turn_labels = _split_labels(record.model_dump())
                yield _labelled_of(record, label, turn_labels)
            except _BadRecord as bad:
                yield _error(str(path), None, bad.field, bad.message, record.id)
        return
    if fmt != "jsonl":
        raise InputError(
            f"labelled data must be JSONL or CSV; got {fmt!r} for {str(path)!r}",
            field="format", value=fmt,
        )
    if str(path) == "-":
        yield from _read_labelled_jsonl(sys.stdin.buffer, "-", Path.cwd(), language)
        return
    path = Path(path)
    with path.open("rb") as stream:
        yield from _read_labelled_jsonl(stream, str(path), path.parent.absolute(), language)


def _error(source: str, line: int | None, field: str | None, message: str, id: object) -> ErrorRecord:
    return ErrorRecord(
        id=id if isinstance(id, str) and id else None,
        error=ErrorDetail(source=source, line=line, field=field, message=message),
    )


def _read_labelled_jsonl(
    stream: Any, source: str, base_dir: Path, language: str | None
) -> Iterator[Labelled | ErrorRecord]:
    for lineno, raw in jsonl_lines(stream):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            # not JSON: the readers describe the line
            records = list(read_bytes(raw, format="jsonl", source=source, base_dir=base_dir,
                                      language=language))  # type: ignore[arg-type]
            record = records[0] if records else _error(source, lineno, None, "empty record", None)
            yield record.model_copy(update={"error": record.error.model_copy(update={"line": lineno})})
            continue
        label: int | None = None
        turn_labels: dict[int, int] = {}
        if isinstance(obj, dict):
            try:
                obj, label, turn_labels = _split_labels(obj)
            except _BadRecord as bad:
                yield _error(source, lineno, bad.field, bad.message, obj.get("id"))
                continue
        # The readers validate the conversation.
        record = read_conversation(obj, source=source, line=lineno, base_dir=base_dir,
                                   language=language)  # type: ignore[arg-type]
        if isinstance(record, ErrorRecord):
            yield record
            continue
        try:
            yield _labelled_of(record, label, turn_labels)
        except _BadRecord as bad:
            yield _error(source, lineno, bad.field, bad.message, record.id)

