"""The frames a snapshot becomes, each encoded once per tick for everyone who gets it: presenters, the host
panel (the same with the host's fields), participants, and each participant's own `ballot` frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from livepoll import qa
from livepoll.frames import (
    BallotFrame,
    ParticipantFrame,
    PresenterFrame,
    QaEntry,
    QaFrame,
    QaMineFrame,
    QuizOutcome,
    Standing,
    Translation,
)
from livepoll.kinds import ResultsView
from livepoll.kinds.choice import points_earned
from livepoll.languages import DEFAULT_LANGUAGE
from livepoll.leaderboard import LEADERBOARD_SHOWN, Standing as Place
from livepoll.model import LiveState, Snapshot, ballot_fields, iso_utc
from livepoll.qa import QaQuestion
from livepoll.questions import QuestionKind
from livepoll.shapes import QuestionResults, public_question, results_of


def results_view(snapshot: Snapshot, *, host: bool) -> ResultsView | None:
    question, data = snapshot.question, snapshot.data
    if question is None or data is None:
        return None
    revealed = question.id in snapshot.state.revealed
    return ResultsView(data.tally, data.ballots, data.marks, host=host, revealed=revealed)


def _results(snapshot: Snapshot, host: bool) -> QuestionResults | None:
    view = results_view(snapshot, host=host)
    return None if view is None or snapshot.question is None else results_of(snapshot.question, view)


def timer(state: LiveState, now: float) -> tuple[str | None, int | None]:
    """(deadline, remaining_ms) while a timer runs on open voting, else (None, None)."""
    if state.deadline is None or not state.open_at(now):
        return None, None
    return iso_utc(state.deadline), max(0, int((state.deadline - now) * 1000))


def in_language(snapshot: Snapshot, language: str) -> Snapshot:
    """The snapshot with its session's texts (and its current question's) read in `language`."""
    session = snapshot.session
    if session is None:
        return snapshot
    read = session.in_language(language)
    if read is session:
        return snapshot
    return replace(snapshot, session=read, question=read.current_question)


def _translation(snapshot: Snapshot) -> Translation | None:
    session = snapshot.session
    if session is None or len(session.presented) < 2:
        return None
    second = session.presented[1]
    read = session.in_language(second)
    question = read.current_question
    revealed = question is not None and question.id in snapshot.state.revealed
    return Translation(language=second, title=read.title,
                       question=None if question is None else public_question(question, revealed=revealed))


def _placing(snapshot: Snapshot) -> dict[str, object]:
    """Title, mode and "question 2 / 5" of the snapshot's session."""
    session = snapshot.session
    if session is None:
        return {}
    return {"title": session.title, "mode": session.mode.value,
            "question_number": session.number_of(snapshot.state.current), "question_count": len(session.questions)}


def presenter_model(snapshot: Snapshot, *, host: bool = False, board: Sequence[Place] | None = None) -> PresenterFrame:
    language = snapshot.session.presented[0] if snapshot.session is not None else DEFAULT_LANGUAGE
    original, snapshot = snapshot, in_language(snapshot, language)
    state = snapshot.state
    deadline, remaining = timer(state, snapshot.now)
    shown = None
    if state.leaderboard and board is not None:
        shown = [Standing(**place.public()) for place in board[:LEADERBOARD_SHOWN]]  # type: ignore[arg-type]
    return PresenterFrame(
        seq=snapshot.seq,
        epoch=snapshot.epoch,
        state_lost=snapshot.state_lost,
        question=_results(snapshot, host),
        voters=0 if snapshot.tally is None else snapshot.tally.voters,
        voting_open=state.open_at(snapshot.now),
        results_visible=state.results_visible,
        results_on_phones=state.results_on_phones,
        participants=snapshot.participants,
        deadline=deadline,
        remaining_ms=remaining,
        leaderboard=shown,
        qa_visible=state.qa_visible if snapshot.qa.enabled else None,
        language=language,
        translation=_translation(original),
        clean_screen=state.clean_screen,
        **_placing(snapshot),  # type: ignore[arg-type]
    )


def presenter_frame(snapshot: Snapshot, *, host: bool = False) -> dict[str, object]:
    """The presenter's `results` message as data; pages also render their first screen from it."""
    return presenter_model(snapshot, host=host).model_dump(mode="json")


def encode_presenter(snapshot: Snapshot, *, host: bool = False, board: Sequence[Place] | None = None) -> str:
    return presenter_model(snapshot, host=host, board=board).model_dump_json()


def encode_participant(snapshot: Snapshot, language: str | None = None) -> str:
    """The participants' `state` frame, its texts in `language` (None: the session's default)."""
    session = snapshot.session
    language = language or (session.default_language if session is not None else DEFAULT_LANGUAGE)
    snapshot = in_language(snapshot, language)
    session = snapshot.session
    state, question = snapshot.state, snapshot.question
    deadline, remaining = timer(state, snapshot.now)
    revealed = question is not None and question.id in state.revealed
    return ParticipantFrame(
        seq=snapshot.seq,
        epoch=snapshot.epoch,
        state_lost=snapshot.state_lost,
        question=None if question is None else public_question(question, revealed=revealed),
        voting_open=state.open_at(snapshot.now),
        resets=state.resets,
        results=_results(snapshot, False) if state.results_on_phones else None,
        deadline=deadline,
        remaining_ms=remaining,
        qa_open=state.qa_open if snapshot.qa.enabled else None,
        language=language,
        questions=[public_question(q, revealed=q.id in state.revealed) for q in session.questions]
        if session is not None and session.self_paced else None,
        **_placing(snapshot),  # type: ignore[arg-type]
    ).model_dump_json()


def participant_key(snapshot: Snapshot) -> tuple[object, ...]:
    """What the participant frame depends on, results aside (those are rate-limited separately)."""
    state, question = snapshot.state, snapshot.question
    revealed = question is not None and question.id in state.revealed
    definition = None if snapshot.session is None else snapshot.session.definition
    return (snapshot.epoch, definition, state.current, state.open_at(snapshot.now), state.resets, state.deadline,
            revealed, state.results_on_phones, state.qa_open)


def speaks_languages(snapshot: Snapshot) -> bool:
    """Whether participants' frames differ by language (some text of the session has several)."""
    session = snapshot.session
    return session is not None and (bool(session.title_i18n) or any(q.i18n for q in session.questions))


def quiz_outcome(
    snapshot: Snapshot, value: str | None, cast_at: float | None, board: Mapping[str, Place], voter: str, of: int
) -> QuizOutcome | None:
    """How a participant did on the current question, once it is a revealed quiz."""
    question, state = snapshot.question, snapshot.state
    if question is None or question.kind is not QuestionKind.QUIZ or question.id not in state.revealed:
        return None
    place = board.get(voter)
    earned = 0
    correct = False
    if value is not None and cast_at is not None:
        fields = ballot_fields(value)
        earned = points_earned(question, fields, cast_at, state.opened_at(question.id))
        chosen = fields.get("choices")
        correct = isinstance(chosen, list) and tuple(str(c) for c in chosen) == question.correct
    return QuizOutcome(points=earned, correct=correct, score=place.score if place else 0,
                       rank=place.rank if place else None, of=of)


def encode_ballot(
    epoch: str, question_id: str | None, resets: int, value: str | None, quiz: QuizOutcome | None = None
) -> str:
    """A participant's own counted ballot on the question (its fields as sent), or null."""
    ballot = None if value is None else ballot_fields(value)
    return BallotFrame(epoch=epoch, question=question_id, resets=resets, ballot=ballot, quiz=quiz).model_dump_json()


def encode_qa(snapshot: Snapshot, questions: Sequence[QaQuestion], *, host: bool) -> str:
    """The Q&A frame: what the audience may see, or (host) every question, pending first."""
    settings, state = snapshot.qa, snapshot.state
    listed = list(questions) if host else qa.public(questions)
    if host:
        listed.sort(key=lambda q: q.status != qa.PENDING)  # stable: the popular order within each group
    entries = [
        QaEntry(id=q.id, text=q.text, name=q.name, upvotes=q.upvotes, status=q.status,  # type: ignore[arg-type]
                created_at=iso_utc(q.created_at), participant=q.asker if host else None,
                blocked=q.blocked if host else None)
        for q in listed
    ]
    pending = sum(1 for q in questions if q.status == qa.PENDING) if host else None
    return QaFrame(open=state.qa_open, moderated=settings.moderated, questions=entries,
                   pending=pending).model_dump_json()


def encode_qa_mine(asked: Sequence[str], upvoted: Sequence[str]) -> str:
    return QaMineFrame(asked=list(asked), upvoted=list(upvoted)).model_dump_json()
