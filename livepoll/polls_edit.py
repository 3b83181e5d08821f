"""What a host can do to a session's definition (rules in editing.py), for the API and the host panel:
change its title, languages and mode, add, change, delete and reorder questions, copy it, and read it back
as the creation request it now is. Each edit is one atomic step of the backend, like a host control; its
change notice reaches phones and screens as any control's does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from livepoll import editing, i18n, kinds
from livepoll.editing import DraftReader, SessionPatch
from livepoll.languages import Text
from livepoll.model import Change, PollError, Session
from livepoll.questions import Question

if TYPE_CHECKING:
    from livepoll.polls import CreatedSession, Polls


def copy_title(title: Text, default: str) -> Text:
    """The title of a copy: " (copy)" added in each of its languages."""
    if isinstance(title, str):
        return i18n.translations(default).gettext("%(title)s (copy)") % {"title": title}
    return {lang: i18n.translations(lang).gettext("%(title)s (copy)") % {"title": text}
            for lang, text in title.items()}


class EditCases:
    def __init__(self, polls: Polls) -> None:
        self.polls = polls

    async def _change(self, code: str, decide: Callable[[Session], Change]) -> Session:
        session = await self.polls.backend.change_session(code, lambda current, _now: decide(current))
        if session is None:
            raise PollError("not_found", "No session with this code.", 404)
        self.polls.forget(code)
        if session.qa.enabled or any(kinds.rules(q.kind).uses_words for q in session.questions):
            self.polls.warm_words()
        return session

    async def patch_session(self, code: str, patch: SessionPatch) -> Session:
        return await self._change(code, lambda s: editing.edit_session(s, patch))

    async def add_question(
        self, code: str, item: Mapping[str, object], position: int | None, read: DraftReader
    ) -> tuple[Session, Question]:
        added: list[Question] = []

        def decide(current: Session) -> Change:
            change = editing.add_question(current, item, position, read)
            assert change.edited is not None
            added[:] = [q for q in change.edited.questions if current.question(q.id) is None]
            return change

        session = await self._change(code, decide)
        return session, added[0]  # the question of the decision that was made (a retried one decides again)

    async def edit_question(
        self, code: str, question_id: str, patch: Mapping[str, object], read: DraftReader
    ) -> tuple[Session, Question]:
        session = await self._change(code, lambda s: editing.edit_question(s, question_id, patch, read))
        edited = session.question(question_id)
        assert edited is not None
        return session, edited

    async def delete_question(self, code: str, question_id: str) -> Session:
        return await self._change(code, lambda s: editing.delete_question(s, question_id))

    async def reorder(self, code: str, order: Sequence[str]) -> Session:
        return await self._change(code, lambda s: editing.reorder_questions(s, order))

    async def duplicate(self, session: Session) -> CreatedSession:
        """A new session like `session` (same questions, title + " (copy)"), with no ballots and no Q&A."""
        title = copy_title(session.title_text, session.default_language)
        return await self.polls.create_like(editing.fresh_copy(session, title))
