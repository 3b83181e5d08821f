"""`wordcloud`: a few short words per participant, counted under their normalised (lemmatised) form; and
`open`: free-text entries, each ballot adding one, shown as a wall (optionally after the host approves)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from livepoll.kinds.base import (
    RESEND_WINDOW,
    BallotContext,
    BallotInput,
    KindRules,
    ResponseRow,
    ResultRow,
    ResultsView,
    invalid,
    only_fields,
    refuse,
    text_of,
)
from livepoll.model import Answer, ballot_fields, ballot_value, iso_utc
from livepoll.questions import Draft, Question, QuestionKind

MAX_WORDS_PER_BALLOT = 10
DEFAULT_WORDS_PER_BALLOT = 3
MAX_WORD_CHARS = 40
# Screens show at most this many words of a cloud (the largest), so a frame stays small.
MAX_WORDS_SHOWN = 200
MAX_ENTRIES_PER_PARTICIPANT = 10
MAX_ENTRY_CHARS = 500
# Screens show at most this many entries of a wall (the newest); the host's results have them all.
MAX_ENTRIES_SHOWN = 200

# Count keys of a word cloud: `w:<key>` counts a word, `b:<key>` a word the blocklist holds, and
# `~<key> GS <surface>` how often each written form of it was sent (the backends remember when a `~` key
# first appeared: ties between forms go to the first seen).
WORD, BLOCKED, SURFACE, GS = "w:", "b:", "~", "\x1d"
HIDDEN = "hidden"
VISIBLE = "visible"
PENDING = "pending"


def _entry_count(ballot: BallotInput, limit: int) -> list[str]:
    entries = [" ".join(str(e).split()) for e in (ballot.entries or ())]
    if not entries:
        raise refuse("invalid_ballot", "Send at least one word (entries: [text, ...]).")
    if len(entries) > limit:
        raise refuse("too_many_entries", f"Send at most {limit} word(s); got {len(entries)}.")
    for entry in entries:
        if not entry:
            raise refuse("empty_entry", "An entry is empty.")
        if len(entry) > MAX_WORD_CHARS:
            raise refuse("entry_too_long", f"A word is at most {MAX_WORD_CHARS} characters.")
    return entries


class WordCloud(KindRules):
    kind = QuestionKind.WORDCLOUD
    fields = ("max_entries", "allow_change")
    uses_words = True

    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        limit = DEFAULT_WORDS_PER_BALLOT if draft.max_entries is None else draft.max_entries
        if not 1 <= limit <= MAX_WORDS_PER_BALLOT:
            raise invalid(where, f"max_entries must be between 1 and {MAX_WORDS_PER_BALLOT}", "max_entries")
        return Question(question_id, self.kind, text_of(draft, where), max_entries=limit,
                        allow_change=True if draft.allow_change is None else draft.allow_change)

    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        only_fields(ballot, ("entries",))
        kept: list[str] = []
        counts: list[tuple[str, int]] = []
        seen: set[str] = set()
        for surface in _entry_count(ballot, question.max_entries):
            key = context.words.normalize(surface)
            if not key:
                raise refuse("empty_entry", f"{surface!r} is not a word.")
            if key in seen:
                continue  # the same word twice in one ballot counts once
            seen.add(key)
            kept.append(surface)
            counts.append(((BLOCKED if context.words.blocked(surface) else WORD) + key, 1))
            counts.append((f"{SURFACE}{key}{GS}{surface}", 1))
        return Answer(ballot_value({"entries": kept}), tuple(counts))

    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        words, hidden, blocked = _words(view)
        results: dict[str, object] = {"words": words[:MAX_WORDS_SHOWN] if not view.host else words}
        if view.host:
            results["hidden_words"] = hidden
            results["blocked_words"] = blocked
        return results

    def result_rows(self, question: Question, view: ResultsView) -> list[ResultRow]:
        words, hidden, _blocked = _words(view)
        return [ResultRow(str(w["key"]), str(w["text"]), int(str(w["count"]))) for w in [*words, *hidden]]

    def response_rows(self, question: Question, value: Mapping[str, object]) -> list[ResponseRow]:
        entries = value.get("entries")
        return [ResponseRow("", str(e)) for e in entries] if isinstance(entries, list) else []


def _words(view: ResultsView) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    """(shown words, words the host hid, blocked words), each [{key, text, count}] by count, then text."""
    counts = view.tally.counts
    first = view.tally.first_seen
    surfaces: dict[str, tuple[int, float, str]] = {}
    for name, count in counts.items():
        if not name.startswith(SURFACE) or count <= 0:
            continue
        key, _, surface = name[1:].partition(GS)
        rank = (count, -first.get(name, 0.0), surface)
        if key not in surfaces or rank[:2] > surfaces[key][:2]:
            surfaces[key] = rank
    shown: list[dict[str, object]] = []
    hidden: list[dict[str, object]] = []
    blocked: list[dict[str, object]] = []
    for name, count in counts.items():
        if count <= 0 or not name.startswith((WORD, BLOCKED)):
            continue
        key = name[2:]
        word = {"key": key, "text": surfaces[key][2] if key in surfaces else key, "count": count}
        if name.startswith(BLOCKED) and view.marks.get(key) != VISIBLE:
            blocked.append(word)
        elif view.marks.get(key) == HIDDEN:
            hidden.append(word)
        else:
            shown.append(word)
    for listed in (shown, hidden, blocked):
        listed.sort(key=lambda w: (-int(str(w["count"])), str(w["text"])))
    return shown, hidden, blocked


class OpenText(KindRules):
    """Each ballot adds an entry to the participant's list (up to `max_entries`); a resend (the same
    WebSocket ref, or the same text within a minute) is the entry already stored. With `moderated`, the
    host approves each entry before screens show it; a blocklisted entry is held hidden."""

    kind = QuestionKind.OPEN
    fields = ("max_entries", "moderated")
    lists_ballots = True
    adds_to_previous = True
    uses_words = True

    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        limit = 1 if draft.max_entries is None else draft.max_entries
        if not 1 <= limit <= MAX_ENTRIES_PER_PARTICIPANT:
            raise invalid(where, f"max_entries must be between 1 and {MAX_ENTRIES_PER_PARTICIPANT}", "max_entries")
        return Question(question_id, self.kind, text_of(draft, where), max_entries=limit, moderated=draft.moderated)

    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        only_fields(ballot, ("text",))
        text = (ballot.text or "").strip()
        if not text:
            raise refuse("empty_entry", "The entry is empty.")
        if len(text) > MAX_ENTRY_CHARS:
            raise refuse("entry_too_long", f"An entry is at most {MAX_ENTRY_CHARS} characters.")
        entries = stored_entries(context.previous)
        for entry in entries:
            resent_ref = ballot.ref and entry.get("ref") == ballot.ref
            resent_text = entry.get("text") == text and context.now - float(str(entry.get("at", 0))) <= RESEND_WINDOW
            if resent_ref or resent_text:
                assert context.previous is not None
                return Answer(context.previous, entry_counts(entries))
        if len(entries) >= question.max_entries:
            raise refuse("limit_reached", f"You can send at most {question.max_entries} entr(y/ies) here.", 409)
        added: dict[str, object] = {"id": secrets.token_hex(5), "text": text, "at": context.now}
        if ballot.ref:
            added["ref"] = ballot.ref
        if context.words.blocked(text):
            added["blocked"] = True
        entries.append(added)
        return Answer(ballot_value({"entries": entries}), entry_counts(entries))

    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        listed = []
        for stored in view.ballots.values():
            for entry in stored_entries(stored.value):
                status = entry_status(question, entry, view.marks)
                if not view.host and status != VISIBLE:
                    continue
                item: dict[str, object] = {"id": entry["id"], "text": entry["text"],
                                           "created_at": iso_utc(float(str(entry["at"]))), "status": status}
                if view.host:
                    item["blocked"] = bool(entry.get("blocked"))
                listed.append((float(str(entry["at"])), str(entry["id"]), item))
        listed.sort(key=lambda e: (-e[0], e[1]))
        items = [item for _at, _id, item in listed]
        return {"entries": items if view.host else items[:MAX_ENTRIES_SHOWN]}

    def result_rows(self, question: Question, view: ResultsView) -> list[ResultRow]:
        rows = []
        for stored in sorted(view.ballots.values(), key=lambda b: b.cast_at):
            for entry in stored_entries(stored.value):
                rows.append(ResultRow(str(entry["id"]), str(entry["text"]), 1))
        return rows

    def response_rows(self, question: Question, value: Mapping[str, object]) -> list[ResponseRow]:
        entries = value.get("entries")
        if not isinstance(entries, list):
            return []
        return [ResponseRow(str(e.get("id", "")), str(e.get("text", ""))) for e in entries if isinstance(e, dict)]


def stored_entries(value: str | None) -> list[dict[str, object]]:
    if value is None:
        return []
    entries = ballot_fields(value).get("entries")
    return [dict(e) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def entry_counts(entries: list[dict[str, object]]) -> tuple[tuple[str, int], ...]:
    return (("entries", len(entries)),)


def entry_status(question: Question, entry: Mapping[str, object], marks: Mapping[str, str]) -> str:
    """visible, pending (moderated, not yet approved) or hidden (by the host, or held by the blocklist)."""
    marked = marks.get(str(entry.get("id")))
    if marked is not None:
        return marked
    if entry.get("blocked"):
        return HIDDEN
    return PENDING if question.moderated else VISIBLE


__all__ = ["OpenText", "WordCloud"]
