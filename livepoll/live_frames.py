"""The frames a snapshot becomes, each encoded once per tick for everyone who gets it: presenters, the host
panel (the same with the host's fields), participants, and each participant's own `ballot` frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
)
from livepoll.kinds import ResultsView
from livepoll.kinds.choice import points_earned
from livepoll.leaderboard import LEADERBOARD_SHOWN
from livepoll.leaderboard import Standing as Place
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


def presenter_model(snapshot: Snapshot, *, host: bool = False, board: Sequence[Place] | None = None) -> PresenterFrame:
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
    )


def presenter_frame(snapshot: Snapshot, *, host: bool = False) -> dict[str, object]:
    """The presenter's `results` message as data; pages also render their first screen from it."""
    return presenter_model(snapshot, host=host).model_dump(mode="json")


def encode_presenter(snapshot: Snapshot, *, host: bool = False, board: Sequence[Place] | None = None) -> str:
    return presenter_model(snapshot, host=host, board=board).model_dump_json()


def encode_participant(snapshot: Snapshot) -> str:
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
    ).model_dump_json()


def participant_key(snapshot: Snapshot) -> tuple[object, ...]:
    """What the participant frame depends on, results aside (those are rate-limited separately)."""
    state, question = snapshot.state, snapshot.question
    revealed = question is not None and question.id in state.revealed
    return (snapshot.epoch, state.current, state.open_at(snapshot.now), state.resets, state.deadline, revealed,
            state.results_on_phones, state.qa_open)


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
