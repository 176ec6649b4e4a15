"""Read conversations from JSONL, JSON, CSV and plain-text transcripts.

Every reader yields a stream of *records*: a :class:`~empathy_signals.schema.Conversation`
for each conversation that is valid, an :class:`ErrorRecord` for each one that is not. A
reader never raises for a bad record and never drops one: one conversation in, one record
out, so a batch can account for every input (``docs/cli.md`` describes the formats).

=========  ==================  ===========================================================
format     extension           one record is
=========  ==================  ===========================================================
jsonl      ``.jsonl .ndjson``  one line (blank lines skipped); stdin (``-``) is JSONL
json       ``.json``           the object, or each element of a top-level list
csv        ``.csv``            all rows sharing a ``conversation_id``
text       ``.txt``            the whole file (``Client: ...`` lines); id = the file stem
=========  ==================  ===========================================================

JSONL and JSON follow the published schema (``docs/schema/conversation.schema.json``)
exactly: the speaker is ``customer``, ``agent`` or ``bot``. CSV and text transcripts are
written by people, so they also accept the aliases of :data:`SPEAKER_ALIASES`.

Relative audio paths are resolved against the folder of the input file (the current
directory for stdin) and stored resolved in the :class:`~empathy_signals.schema.Turn`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import InputError
from .schema import Conversation, Speaker

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "SPEAKER_ALIASES",
    "ErrorDetail",
    "ErrorRecord",
    "Format",
    "Record",
    "format_for",
    "jsonl_lines",
    "normalize_speaker",
    "read_bytes",
    "read_conversation",
    "read_input",
]

Format = Literal["jsonl", "json", "csv", "text"]
FORMATS: tuple[Format, ...] = ("jsonl", "json", "csv", "text")
#: File extension (lower case) -> format, used when the format is ``auto``.
EXTENSIONS: Mapping[str, Format] = MappingProxyType(
    {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".txt": "text"}
)

#: Speaker labels accepted in CSV and text transcripts, compared case- and accent-insensitively.
SPEAKER_ALIASES: Mapping[str, Speaker] = MappingProxyType(
    {
        **dict.fromkeys(
            ("customer", "client", "cliente", "user", "utilisateur", "utilisatrice", "caller",
             "appelant", "appelante", "vous", "you"),
            "customer",
        ),
        **dict.fromkeys(
            ("agent", "conseiller", "conseillere", "human", "humain", "operator", "operateur",
             "operatrice", "advisor", "adviser"),
            "agent",
        ),
        **dict.fromkeys(
            ("bot", "chatbot", "assistant", "assistante", "ia", "ai", "system", "systeme",
             "voicebot", "callbot"),
            "bot",
        ),
    }
)

#: CSV columns. Other columns are kept in each turn's ``metadata`` (empty cells dropped).
CSV_REQUIRED = ("conversation_id", "speaker", "text")
CSV_OPTIONAL = ("audio", "start", "end", "language")

#: How much of a bad value an error message quotes.
_MAX_VALUE_CHARS = 60
#: ``surrogateescape`` turns each undecodable byte into one of these code points.
_UNDECODABLE_RE = re.compile("[\udc80-\udcff]")
#: ``[00:01:23] Client : bonjour`` -- an optional timestamp, a label, a colon (French
#: typography puts a space, often non-breaking, before it), then the text.
_TRANSCRIPT_RE = re.compile(
    r"^\s*(?:\[(?P<ts>\d{1,2}(?::\d{1,2}){1,2}(?:\.\d+)?)\]\s*)?"
    r"(?P<label>[^\W\d_][\w'\u2019 -]{0,29}?)\s*:\s*(?P<text>.*)$"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ErrorDetail(_Frozen):
    """Where a bad record is and what is wrong with it."""

    #: The input file (``-`` for stdin, ``example:fr`` for a bundled example).
    source: str
    #: 1-based line of the record (or of its bad row or line) in the source; None if unknown.
    line: int | None = None
    #: The bad field: ``turns[2].speaker`` (JSON), a column name (CSV), ``speaker``/``text``
    #: (transcripts); None when the record as a whole is bad (not JSON, not an object).
    field: str | None = None
    message: str


class ErrorRecord(_Frozen):
    """The output record of an input record that could not be read or scored."""

    id: str | None = None
    error: ErrorDetail


Record = Conversation | ErrorRecord


# ---------------------------------------------------------------- public helpers


def normalize_speaker(label: str) -> Speaker | None:
    """The speaker a label stands for (``"Conseillère"`` -> ``"agent"``), or None if unknown."""
    return SPEAKER_ALIASES.get(_fold(label))


def format_for(path: str | os.PathLike[str]) -> Format:
    """The format of ``path`` from its extension; ``-`` (stdin) is JSONL.

    Raises
    ------
    InputError
        If the extension is not one of :data:`EXTENSIONS`.
    """
    if str(path) == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    try:
        return EXTENSIONS[suffix]
    except KeyError:
        raise InputError(
            f"cannot tell the format of {str(path)!r} from its extension {suffix or '(none)'!r}; "
            f"expected one of {sorted(EXTENSIONS)} or an explicit format ({', '.join(FORMATS)})",
            field="format",
            value=suffix,
        ) from None


def read_input(
    path: str | os.PathLike[str],
    *,
    format: Format | Literal["auto"] = "auto",
    language: Literal["fr", "en"] | None = None,
    audio_root: str | os.PathLike[str] | None = None,
) -> Iterator[Record]:
    """Read one input file (``-``: stdin) as a stream of records.

    Parameters
    ----------
    path
        The file, or ``-`` for the standard input (read as it arrives, so a JSONL stream
        is scored line by line).
    format
        ``auto`` picks the format from the extension (:func:`format_for`).
    language
        When given, overrides every conversation's ``language``.
    audio_root
        The folder audio files must be in (default: the input file's folder; the current
        folder for stdin). A turn whose audio path resolves outside it makes its
        conversation an error record: an input file cannot make the reader open
        ``../../etc/passwd``.

    Raises
    ------
    InputError
        If the format cannot be told from the extension.
    OSError
        If the file cannot be opened. Nothing inside the file ever raises.
    """
    fmt = format_for(path) if format == "auto" else format
    if str(path) == "-":
        stream = sys.stdin.buffer
        yield from _read_stream(stream, fmt=fmt, source="-", base_dir=Path.cwd(), language=language,
                                default_id="stdin", audio_root=audio_root)
        return
    path = Path(path)
    with path.open("rb") as stream:
        yield from _read_stream(stream, fmt=fmt, source=str(path), base_dir=path.parent.absolute(),
                                language=language, default_id=path.stem, audio_root=audio_root)


def read_bytes(
    data: bytes,
    *,
    format: Format,
    source: str,
    base_dir: str | os.PathLike[str] | None = None,
    language: Literal["fr", "en"] | None = None,
    default_id: str = "conversation",
) -> Iterator[Record]:
    """Read records from bytes already in memory (a bundled example, a request body).

    ``base_dir`` resolves relative audio paths (default: the current directory);
    ``default_id`` is the id of a text transcript.
    """
    base = Path(base_dir).absolute() if base_dir is not None else Path.cwd()
    yield from _read_stream(io.BytesIO(data), fmt=format, source=source, base_dir=base,
                            language=language, default_id=default_id)


def read_conversation(
    obj: Any,
    *,
    source: str,
    line: int | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    language: Literal["fr", "en"] | None = None,
) -> Record:
    """One decoded record (a JSON value) validated as every reader validates it: a
    :class:`Conversation`, or an :class:`ErrorRecord` naming ``source``, ``line`` and the field.
    Relative audio paths resolve against ``base_dir`` (default: the current directory), and
    must stay inside it."""
    base = Path(base_dir).absolute() if base_dir is not None else Path.cwd()
    ctx = _Context(source=source, base_dir=base, language=language, audio_root=base.resolve())
    return ctx.conversation(obj, line=line)


# ---------------------------------------------------------------- dispatch


def _read_stream(
    stream: BinaryIO,
    *,
    fmt: Format,
    source: str,
    base_dir: Path,
    language: str | None,
    default_id: str,
    audio_root: str | os.PathLike[str] | None = None,
) -> Iterator[Record]:
    root = Path(audio_root).resolve() if audio_root is not None else base_dir.resolve()
    ctx = _Context(source=source, base_dir=base_dir, language=language, audio_root=root)
    if fmt == "jsonl":
        yield from _read_jsonl(stream, ctx)
    elif fmt == "json":
        yield from _read_json(stream.read(), ctx)
    elif fmt == "csv":
        yield from _read_csv(stream.read(), ctx)
    elif fmt == "text":
        yield from _read_text(stream.read(), ctx, conversation_id=default_id)
    else:
        raise InputError(f"format must be one of {list(FORMATS)}; got {fmt!r}", field="format", value=fmt)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


class _Context:
    __slots__ = ("audio_root", "base_dir", "language", "source")

    def __init__(self, *, source: str, base_dir: Path, language: str | None, audio_root: Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.language = language
        self.audio_root = audio_root

    def error(self, message: str, *, line: int | None, field: str | None = None,
              id: object = None) -> ErrorRecord:
        return ErrorRecord(
            id=id if isinstance(id, str) and id and not _UNDECODABLE_RE.search(id) else None,
            error=ErrorDetail(source=self.source, line=line, field=field, message=message),
        )

    def resolve_audio(self, path: str) -> str:
        if not path or os.path.isabs(path):
            return path
        return os.path.normpath(os.path.join(self.base_dir, path))

    def conversation(self, obj: Any, *, line: int | None,
                     lines: Mapping[int, int] | None = None,
                     fields: Mapping[str, str] | None = None) -> Record:
        """Validate one decoded conversation; ``lines`` maps a turn index to its source line
        and ``fields`` renames a field path (CSV column names) in error records."""
        conv_id = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(obj, dict):
            if self.language is not None:
                obj["language"] = self.language
            turns = obj.get("turns")
            if isinstance(turns, list):
                for i, turn in enumerate(turns):
                    audio = turn.get("audio") if isinstance(turn, dict) else None
                    if isinstance(audio, dict) and isinstance(audio.get("path"), str) and audio["path"]:
                        audio["path"] = self.resolve_audio(audio["path"])
                        if not Path(audio["path"]).resolve().is_relative_to(self.audio_root):
                            err_line = lines.get(i, line) if lines is not None else line
                            return self.error(
                                f"audio path {audio['path'][:120]!r} is outside the audio folder "
                                f"{str(self.audio_root)!r} (see --audio-root)",
                                line=err_line, field=f"turns[{i}].audio.path", id=conv_id,
                            )
        try:
            return Conversation.model_validate(obj)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            first = errors[0]
            err_line = line
            loc = tuple(first["loc"])
            if lines is not None and len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int):
                err_line = lines.get(loc[1], line)
            field = _field_path(loc, fields)
            message = "; ".join(_describe(err, fields) for err in errors)
            return self.error(message, line=err_line, field=field, id=conv_id)


# ---------------------------------------------------------------- JSONL


def jsonl_lines(
    stream: BinaryIO, *, max_line_bytes: int | None = None, too_long: Callable[[int], None] | None = None
) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a JSONL byte stream with their 1-based numbers; a UTF-8 BOM
    before the first line is dropped.

    With ``max_line_bytes``, a longer line is read and dropped a chunk at a time (memory stays
    bounded) and its number is passed to ``too_long``.
    """
    size = -1 if max_line_bytes is None else max_line_bytes + 1
    lineno = 0
    while raw := stream.readline(size):
        lineno += 1
        if max_line_bytes is not None and len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(max_line_bytes)
            if too_long is not None:
                too_long(lineno)
            continue
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if raw.strip():
            yield lineno, raw


def _read_jsonl(stream: BinaryIO, ctx: _Context) -> Iterator[Record]:
    for lineno, raw in jsonl_lines(stream):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ctx.error(_undecodable(raw, exc.start), line=lineno)
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield ctx.error(f"not valid JSON: {exc.msg} (column {exc.colno})", line=lineno)
            continue
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, 100,000 nested '['
            yield ctx.error(f"not valid JSON here: {_short(exc)}", line=lineno)
            continue
        yield ctx.conversation(obj, line=lineno)


# ---------------------------------------------------------------- JSON


def _read_json(data: bytes, ctx: _Context) -> Iterator[Record]:
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    decoder = json.JSONDecoder()

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def element(pos: int) -> tuple[Record, int] | tuple[None, int]:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            error = ctx.error(f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
            return error, _value_end(text, pos)
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, 100,000 nested '['
            error = ctx.error(f"not valid JSON here: {_short(exc)}", line=line_of(pos))
            return error, _value_end(text, pos)
        bad = _UNDECODABLE_RE.search(text, pos, end)
        if bad:
            line = line_of(bad.start())
            return ctx.error(_undecodable_text(text, bad.start()), line=line,
                             id=obj.get("id") if isinstance(obj, dict) else None), end
        return ctx.conversation(obj, line=line_of(pos)), end

    pos = _skip_ws(text, 0)
    if pos == len(text):
        return
    if text[pos] != "[":
        record, end = element(pos)
        if end >= 0 and _skip_ws(text, end) != len(text):
            extra = _skip_ws(text, end)
            yield ctx.error("not valid JSON: extra data after the conversation object", line=line_of(extra))
            return
        yield record  # type: ignore[misc]
        return
    pos = _skip_ws(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        pos = _skip_ws(text, pos + 1)
    else:
        while True:
            record, end = element(pos)
            yield record  # type: ignore[misc]
            if end < 0:
                return
            pos = _skip_ws(text, end)
            if pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                pos = _skip_ws(text, pos + 1)
                break
            yield ctx.error("not valid JSON: expected ',' or ']' after a list element",
                            line=line_of(min(pos, len(text))))
            return
    if pos != len(text):
        yield ctx.error("not valid JSON: extra data after the list", line=line_of(pos))


#: A JSON string (escapes included), or a bracket: what the resynchronising scan looks at.
_STRUCTURE_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SCALAR_END_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[,\]]')


def _value_end(text: str, pos: int) -> int:
    """Where the list element starting at ``pos`` ends, by its brackets alone (-1: they never close).

    ``json`` cannot parse some elements (100,000 nested ``[``, a 5,000-digit number, a syntax
    error inside an object); this finds where such an element ends, in linear time, so the
    elements after it are still read.
    """
    if text[pos : pos + 1] not in ("[", "{"):
        for match in _SCALAR_END_RE.finditer(text, pos):
            if match.group() in (",", "]"):
                return match.start()
        return -1
    depth = 0
    for match in _STRUCTURE_RE.finditer(text, pos):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
        elif token in ("]", "}"):
            depth -= 1
            if depth == 0:
                return match.end()
    return -1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


# ---------------------------------------------------------------- CSV


class _CsvConversation:
    __slots__ = ("error", "first_line", "id", "language", "lines", "turns")

    def __init__(self, conv_id: str, first_line: int) -> None:
        self.id = conv_id
        self.first_line = first_line
        self.turns: list[dict[str, Any]] = []
        self.lines: dict[int, int] = {}
        self.language: str | None = None
        self.error: ErrorRecord | None = None


#: Where a turn field lives in a CSV row, to name columns in error records.
_CSV_FIELDS = {"audio.path": "audio", "audio.start": "start", "audio.end": "end", "audio": "audio",
               "speaker": "speaker", "text": "text", "language": "language", "id": "conversation_id"}


def _read_csv(data: bytes, ctx: _Context) -> Iterator[Record]:
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    if not text.strip():
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        yield ctx.error(f"not valid CSV: {exc}", line=1)
        return
    columns = [_fold(name) for name in header]
    bad = _UNDECODABLE_RE.search(",".join(header))
    if bad:
        yield ctx.error(_undecodable_text(",".join(header), bad.start()), line=1)
        return
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        yield ctx.error(
            f"the header has no column {missing[0]!r}; it must name the columns "
            f"{', '.join(CSV_REQUIRED)} (optional: {', '.join(CSV_OPTIONAL)}); got {header!r}",
            line=1, field=missing[0],
        )
        return
    duplicates = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicates:
        yield ctx.error(f"the header names column {duplicates[0]!r} more than once", line=1,
                        field=duplicates[0])
        return

    conversations: dict[str, _CsvConversation] = {}
    # (first line, record or conversation) in order of first appearance.
    order: list[ErrorRecord | _CsvConversation] = []
    line_end = reader.line_num
    while True:
        line = line_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            order.append(ctx.error(f"not valid CSV: {exc}", line=line))
            break
        line_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(columns, row, strict=False))
        conv_id = cells.get("conversation_id", "").strip()
        if _UNDECODABLE_RE.search(conv_id):
            order.append(ctx.error(_undecodable_text(conv_id, 0), line=line, field="conversation_id"))
            continue
        if not conv_id:
            order.append(ctx.error("conversation_id is empty; every row needs one", line=line,
                                   field="conversation_id"))
            continue
        conv = conversations.get(conv_id)
        if conv is None:
            conv = conversations[conv_id] = _CsvConversation(conv_id, line)
            order.append(conv)
        if conv.error is not None:
            continue
        turn, problem = _csv_turn(cells, row, len(columns), ctx, line)
        if problem is not None:
            conv.error = problem.model_copy(update={"id": conv_id})
            continue
        language = cells.get("language", "").strip()
        if language:
            if conv.language is not None and language != conv.language:
                conv.error = ctx.error(
                    f"language {language!r} differs from {conv.language!r} on an earlier row "
                    f"of conversation {conv_id!r}",
                    line=line, field="language", id=conv_id,
                )
                continue
            conv.language = language
        conv.lines[len(conv.turns)] = line
        conv.turns.append(turn)  # type: ignore[arg-type]

    for entry in order:
        if isinstance(entry, ErrorRecord):
            yield entry
        elif entry.error is not None:
            yield entry.error
        else:
            obj: dict[str, Any] = {"id": entry.id, "turns": entry.turns}
            if entry.language is not None:
                obj["language"] = entry.language
            yield ctx.conversation(obj, line=entry.first_line, lines=entry.lines, fields=_CSV_FIELDS)


def _csv_turn(cells: dict[str, str], row: list[str], n_columns: int, ctx: _Context,
              line: int) -> tuple[dict[str, Any] | None, ErrorRecord | None]:
    if len(row) != n_columns:
        return None, ctx.error(f"the row has {len(row)} fields, the header has {n_columns}", line=line)
    for name, value in cells.items():
        bad = _UNDECODABLE_RE.search(value)
        if bad:
            return None, ctx.error(_undecodable_text(value, bad.start()), line=line, field=name or None)
    label = cells["speaker"].strip()
    speaker = normalize_speaker(label)
    if speaker is None:
        return None, ctx.error(_unknown_speaker(label), line=line, field="speaker")
    turn: dict[str, Any] = {"speaker": speaker, "text": cells["text"]}
    audio = cells.get("audio", "").strip()
    bounds: dict[str, float] = {}
    for name in ("start", "end"):
        raw = cells.get(name, "").strip()
        if not raw:
            continue
        try:
            bounds[name] = float(raw)
        except ValueError:
            return None, ctx.error(f"{name} must be a number of seconds; got {_quote(raw)}", line=line,
                                   field=name)
        if not audio:
            return None, ctx.error(f"{name} is set but audio is empty; a segment needs an audio file",
                                   line=line, field=name)
    if audio:
        turn["audio"] = {"path": audio, **bounds}
    metadata = {name: value for name, value in cells.items()
                if name and name not in CSV_REQUIRED and name not in CSV_OPTIONAL and value.strip()}
    if metadata:
        turn["metadata"] = metadata
    return turn, None


# ---------------------------------------------------------------- text transcripts


def _read_text(data: bytes, ctx: _Context, *, conversation_id: str) -> Iterator[Record]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    turns: list[dict[str, Any]] = []
    lines: dict[int, int] = {}
    first_line: int | None = None
    for lineno, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ctx.error(_undecodable(raw, exc.start), line=lineno, field="text", id=conversation_id)
            return
        if not line.strip():
            if turns:
                turns[-1]["_blank"] = True
            continue
        match = _TRANSCRIPT_RE.match(line)
        speaker = normalize_speaker(match["label"]) if match else None
        if speaker is not None:
            turn: dict[str, Any] = {"speaker": speaker, "text": match["text"].strip()}  # type: ignore[index]
            if match["ts"]:  # type: ignore[index]
                turn["timestamp"] = _seconds(match["ts"])  # type: ignore[index]
            lines[len(turns)] = lineno
            turns.append(turn)
            first_line = first_line or lineno
        elif turns:
            previous = turns[-1]
            separator = "\n\n" if previous.pop("_blank", False) else "\n"
            previous["text"] = f"{previous['text']}{separator}{line.strip()}" if previous["text"] else line.strip()
        else:
            label = match["label"] if match else line.strip()
            yield ctx.error(
                _unknown_speaker(label) + "; a transcript line reads 'Speaker: text'",
                line=lineno, field="speaker", id=conversation_id,
            )
            return
    if not turns:
        return
    for turn in turns:
        turn.pop("_blank", None)
    yield ctx.conversation({"id": conversation_id, "turns": turns}, line=first_line, lines=lines)


def _seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.split(":"):
        total = total * 60 + float(part)
    return total


# ---------------------------------------------------------------- messages


def _fold(label: str) -> str:
    decomposed = unicodedata.normalize("NFKD", label.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _quote(value: object) -> str:
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _unknown_speaker(label: str) -> str:
    return (f"unknown speaker {_quote(label)}; expected customer, agent, bot or an alias "
            f"(client, user, conseiller, assistant, ...; docs/cli.md lists them)")


def _undecodable(raw: bytes, start: int) -> str:
    return f"not valid UTF-8: byte 0x{raw[start]:02x} at offset {start} of the line"


def _undecodable_text(text: str, index: int) -> str:
    bad = _UNDECODABLE_RE.search(text, index)
    byte = ord(bad.group()) - 0xDC00 if bad else 0
    return f"not valid UTF-8: byte 0x{byte:02x}"


def _field_path(loc: Iterable[Any], renames: Mapping[str, str] | None = None) -> str | None:
    """``('turns', 2, 'speaker')`` -> ``turns[2].speaker``; with ``renames``, the turn part
    is renamed (``audio.start`` -> ``start``) and the turn index dropped."""
    loc = tuple(loc)
    if renames is not None:
        tail = loc[2:] if len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int) else loc
        key = ".".join(str(p) for p in tail)
        if key in renames:
            return renames[key]
        for prefix, name in renames.items():
            if key.startswith(prefix + "."):
                return name
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


def _describe(err: Mapping[str, Any], renames: Mapping[str, str] | None) -> str:
    field = _field_path(err["loc"], renames) or "conversation"
    message = err["msg"]
    if err["type"] in ("missing",):
        return f"{field}: {message}"
    return f"{field}: {message}; got {_quote(err.get('input'))}"
