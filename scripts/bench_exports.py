#!/usr/bin/env python3
"""How long the exports of a large session take to build (docs/performance.md, "Exports").

    .venv/bin/python scripts/bench_exports.py [--participants 10000] [--pdf]

Makes a session of 10 questions of every kind in memory, casts one ballot per participant per question through
the kinds' own ballot checks (livepoll.kinds.answer), tallies them as the stores do (ballots.count_ballots),
then times each document builder on what a store hands the web layer: export.csv, responses.csv, qa.csv,
results.xlsx (written to a temporary file, as the route does) and, with --pdf, the report's HTML and PDF.
Reading the rows from a store is not included (see "Store reads" in docs/performance.md for that).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from typing import Any

from livepoll import exports, i18n, kinds
from livepoll.ballots import QuestionData, Response, StoredBallot, count_ballots
from livepoll.documents.tables import question_tables
from livepoll.documents.workbook import Summary, write_workbook
from livepoll.kinds import BallotContext, BallotInput
from livepoll.model import LiveState
from livepoll.qa import QaQuestion
from livepoll.questions import Draft, Question, QuestionKind

WORDS = ["miasto", "praca", "dom", "szkoła", "język", "мова", "робота", "місто", "rodzina", "zdrowie", "sąsiedzi",
         "urząd", "tramwaj", "park", "kultura"]
DRAFTS = [
    Draft(QuestionKind.CHOICE, "Z kim chcesz współpracować?", ["miasto", "NGO", "biznes", "media"], max_choices=2,
          other=True, other_label="Inne"),
    Draft(QuestionKind.CHOICE, "Czy to działa? Чи це працює?", ["Tak", "Nie", "Nie wiem"]),
    Draft(QuestionKind.QUIZ, "Stolica Ukrainy?", ["Kijów", "Lwów", "Odessa"], correct=[0]),
    Draft(QuestionKind.SCALE, "Oceń warsztat", statements=["Treść", "Prowadzenie", "Organizacja"], min=1, max=5),
    Draft(QuestionKind.RANKING, "Uszereguj priorytety", ["mieszkania", "praca", "język", "zdrowie"]),
    Draft(QuestionKind.WORDCLOUD, "Jedno słowo o mieście", max_entries=3),
    Draft(QuestionKind.OPEN, "Co poprawić? Що покращити?"),
    Draft(QuestionKind.CHOICE, "Skąd jesteś?", [f"dzielnica {n}" for n in range(1, 13)]),
    Draft(QuestionKind.SCALE, "Jak bardzo się zgadzasz?", statements=["A", "B"], min=0, max=10),
    Draft(QuestionKind.QUIZ, "Ile województw ma Polska?", ["14", "16", "18"], correct=[1]),
]


EXPORTS = ("tallies to results views", "export.csv", "responses.csv", "qa.csv",
           "question tables (workbook, report)", "results.xlsx")


def ballot_for(question: Question, rng: random.Random) -> BallotInput:
    kind = question.kind
    if kind is QuestionKind.CHOICE and question.other and rng.random() < 0.1:
        return BallotInput(choices=["other"], other_text=f"coś innego {rng.randrange(1000)}")
    if kind in (QuestionKind.CHOICE, QuestionKind.QUIZ):
        return BallotInput(choices=[rng.choice([o.id for o in question.options if o.id != "other"])])
    if kind is QuestionKind.SCALE:
        return BallotInput(ratings={s.id: rng.randint(question.min, question.max) for s in question.statements})
    if kind is QuestionKind.RANKING:
        order = [o.id for o in question.options]
        rng.shuffle(order)
        return BallotInput(order=order)
    if kind is QuestionKind.WORDCLOUD:
        return BallotInput(entries=rng.sample(WORDS, 3))
    return BallotInput(text=f"Więcej przerw i kawy, proszę — запис {rng.randrange(10**6)}")


def session_data(participants: int) -> tuple[list[Question], list[tuple[Question, QuestionData]], list[Response]]:
    rng = random.Random(11)
    questions = [kinds.build_question(draft, n) for n, draft in enumerate(DRAFTS, start=1)]
    start = 1_764_000_000.0
    data, responses = [], []
    for question in questions:
        answers, ballots = [], {}
        for p in range(participants):
            now = start + p * 0.05
            answer = kinds.answer(question, ballot_for(question, rng), BallotContext(now))
            voter = f"{p:016x}"
            answers.append(answer)
            if kinds.rules(question.kind).needs_ballots(question, host=True):
                ballots[voter] = StoredBallot(answer.value, now)
            responses.append(Response(question.id, voter, answer.value, now))
        data.append((question, QuestionData(count_ballots(question, answers), ballots=ballots)))
    responses.sort(key=lambda r: r.answered_at)
    return questions, data, responses


def timed(what: str, work: Callable[[], Any], results: list[tuple[str, float, float, str]]) -> Any:
    """`work()`, noting its wall-clock and CPU seconds (on a loaded machine the CPU time is the fair one)."""
    started, cpu = time.perf_counter(), time.process_time()
    made = work()
    took, used = time.perf_counter() - started, time.process_time() - cpu
    size = f"{len(made) / 1e6:.1f} MB" if isinstance(made, bytes | str) else ""
    results.append((what, took, used, size))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--pdf", action="store_true", help="also the report's HTML and PDF (needs the pdf extra)")
    args = parser.parse_args()
    started = time.perf_counter()
    questions, data, responses = session_data(args.participants)
    print(f"{args.participants} participants x {len(questions)} questions: {len(responses)} ballots "
          f"(made in {time.perf_counter() - started:.1f} s)")
    qa = [QaQuestion(f"a{n}", f"Pytanie {n}?", "", n % 7, "visible", 1_764_000_000.0 + n, None, f"{n:016x}", False)
          for n in range(200)]
    results: list[tuple[str, float, float, str]] = []
    state = LiveState(current=None)
    _ = i18n.translations("pl").gettext
    views = timed("tallies to results views", lambda: exports.result_views(data, state), results)
    timed("export.csv", lambda: exports.results_csv(views), results)
    timed("responses.csv", lambda: exports.responses_csv(questions, responses), results)
    timed("qa.csv", lambda: exports.qa_csv(qa), results)
    tables = timed("question tables (workbook, report)", lambda: question_tables(views, {}, _), results)
    summary = Summary("Bench", "1234 5678", "pl", 1_764_000_000.0, None,
                      len({r.voter for r in responses}), len(qa))
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        def workbook() -> bytes:
            write_workbook(path, summary, tables, exports.response_table(questions, responses),
                           exports.qa_table(qa), _)
            with open(path, "rb") as made:
                return made.read()

        timed("results.xlsx", workbook, results)
    finally:
        os.unlink(path)
    if args.pdf:
        report_pdf(tables, responses, qa, results)
    exported = [r for r in results if r[0] in EXPORTS]
    print(f"  {'':<38} {'wall':>8} {'CPU':>8}")
    for what, took, used, size in results:
        print(f"  {what:<38} {took:6.2f} s {used:6.2f} s  {size}")
    print(f"  {'all exports (CSV x3 + XLSX)':<38} {sum(r[1] for r in exported):6.2f} s "
          f"{sum(r[2] for r in exported):6.2f} s")
    print(f"  load average while measuring: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of this process: {peak:.0f} MiB")


def report_pdf(tables: Any, responses: list[Response], qa: list[QaQuestion],
               results: list[tuple[str, float, float, str]]) -> None:
    from starlette.requests import Request

    from livepoll.documents import render
    from livepoll.model import Session
    from livepoll.web.pages_documents import Gathered, document_page, html, report_context, stylesheet

    scope = {"type": "http", "method": "GET", "path": "/host/12345678/report", "query_string": b"",
             "headers": [], "server": ("localhost", 80), "scheme": "http", "root_path": ""}
    page = document_page(Request(scope), "pl")
    session = Session("12345678", "Bench", "", tuple(t.question for t in tables), LiveState(current=None),
                      1_764_000_000.0)
    found = Gathered(session, "pl", tables, responses, qa, None)
    document = timed("report HTML", lambda: html(page, "report.html", report_context(page, found)), results)
    timed("report.pdf (WeasyPrint)", lambda: render.html_to_pdf(document, stylesheet()), results)


if __name__ == "__main__":
    main()
