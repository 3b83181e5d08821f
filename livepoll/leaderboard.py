"""The quiz leaderboard and nicknames: pure rules.

A participant's score is the sum of what their last ballot on each revealed quiz question earned; ties share
a rank (1, 1, 3). A nickname is stored as a ballot on the session-wide channel NAMES (one per participant,
replaced when changed); without one, a participant is shown under a friendly pseudonym made from their
voter pseudonym, in the viewer's language, so nobody is listed as a hex string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from livepoll.kinds.choice import points_earned
from livepoll.model import LiveState, StoredBallot, ballot_fields
from livepoll.questions import NAMES_CHANNEL, Question, QuestionKind

MAX_NAME_CHARS = 30
# The session-wide channel nicknames are stored on (not a question of the session).
NAMES = NAMES_CHANNEL
LEADERBOARD_SHOWN = 10

_ADJECTIVES = {
    "pl": ["Zielony", "Szybki", "Mądry", "Wesoły", "Spokojny", "Odważny", "Cichy", "Bystry", "Dzielny", "Jasny",
           "Ciepły", "Uważny", "Pogodny", "Sprytny", "Życzliwy", "Zwinny"],
    "uk": ["Зелений", "Швидкий", "Мудрий", "Веселий", "Спокійний", "Сміливий", "Тихий", "Кмітливий", "Хоробрий",
           "Ясний", "Теплий", "Уважний", "Погідний", "Спритний", "Привітний", "Моторний"],
    "en": ["Green", "Swift", "Wise", "Cheerful", "Calm", "Brave", "Quiet", "Bright", "Bold", "Clear", "Warm",
           "Mindful", "Sunny", "Clever", "Kind", "Nimble"],
}
_ANIMALS = {
    "pl": ["Bóbr", "Żubr", "Jeż", "Lis", "Borsuk", "Sokół", "Wilk", "Niedźwiedź", "Bocian", "Dzik", "Kot", "Ryś",
           "Łoś", "Kruk", "Szpak", "Zając"],
    "uk": ["Бобер", "Зубр", "Їжак", "Лис", "Борсук", "Сокіл", "Вовк", "Ведмідь", "Лелека", "Кабан", "Кіт", "Рись",
           "Лось", "Крук", "Шпак", "Заєць"],
    "en": ["Beaver", "Bison", "Hedgehog", "Fox", "Badger", "Falcon", "Wolf", "Bear", "Stork", "Boar", "Cat",
           "Lynx", "Moose", "Raven", "Starling", "Hare"],
}


def friendly_name(voter: str, lang: str) -> str:
    """A stable two-word name for a participant without a nickname (e.g. "Zielony Bóbr 17")."""
    lang = lang if lang in _ADJECTIVES else "en"
    digest = hashlib.sha256(voter.encode()).digest()
    adjective = _ADJECTIVES[lang][digest[0] % len(_ADJECTIVES[lang])]
    animal = _ANIMALS[lang][digest[1] % len(_ANIMALS[lang])]
    return f"{adjective} {animal} {digest[2] % 90 + 10}"


def unique_name(name: str, taken: Sequence[str]) -> str:
    """`name`, or `name 2`, `name 3`, … when someone else has it already (compared without case)."""
    used = {t.casefold() for t in taken}
    candidate, n = name, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" {n}"
        candidate = name[: MAX_NAME_CHARS - len(suffix)] + suffix
    return candidate


def nickname_of(value: str) -> str:
    name = ballot_fields(value).get("name")
    return name if isinstance(name, str) else ""


@dataclass(frozen=True, slots=True)
class Standing:
    """One participant's place: rank (ties share it), name, score, and how many answers were right."""

    voter: str
    rank: int
    name: str
    score: int
    correct: int

    def public(self) -> dict[str, object]:
        return {"rank": self.rank, "name": self.name, "score": self.score, "correct": self.correct}


def standings(
    questions: Sequence[Question],
    state: LiveState,
    ballots: Mapping[str, Mapping[str, StoredBallot]],
    names: Mapping[str, str],
    lang: str,
) -> list[Standing]:
    """Every participant with a ballot on a revealed quiz question, best first."""
    scores: dict[str, int] = {}
    right: dict[str, int] = {}
    for question in questions:
        if question.kind is not QuestionKind.QUIZ or question.id not in state.revealed:
            continue
        opened_at = state.opened_at(question.id)
        for voter, stored in ballots.get(question.id, {}).items():
            earned = points_earned(question, ballot_fields(stored.value), stored.cast_at, opened_at)
            scores[voter] = scores.get(voter, 0) + earned
            right[voter] = right.get(voter, 0) + (1 if earned or _is_correct(question, stored) else 0)
    ordered = sorted(scores, key=lambda v: (-scores[v], -right[v], _display(v, names, lang).casefold()))
    listed: list[Standing] = []
    shown: list[str] = []
    for position, voter in enumerate(ordered, start=1):
        rank = listed[-1].rank if listed and scores[listed[-1].voter] == scores[voter] else position
        name = unique_name(_display(voter, names, lang), shown)
        shown.append(name)
        listed.append(Standing(voter, rank, name, scores[voter], right[voter]))
    return listed


def _display(voter: str, names: Mapping[str, str], lang: str) -> str:
    return names.get(voter) or friendly_name(voter, lang)


def _is_correct(question: Question, stored: StoredBallot) -> bool:
    chosen = ballot_fields(stored.value).get("choices")
    return isinstance(chosen, list) and tuple(str(c) for c in chosen) == question.correct


def quiz_questions(questions: Sequence[Question], state: LiveState) -> list[Question]:
    """The quiz questions whose ballots the leaderboard needs (the revealed ones)."""
    return [q for q in questions if q.kind is QuestionKind.QUIZ and q.id in state.revealed]
