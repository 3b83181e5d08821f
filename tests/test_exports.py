"""CSV exports byte for byte, against a real server on both backends: BOM, header, CRLF, one-decimal percent,
quoting of Polish labels with commas and quotes (a typed line break is stored as a space), formula cells
defused, pseudonymous responses."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from datetime import datetime

from support.server import LivepollClient

RESULTS_HEADER = b"\xef\xbb\xbfquestion_id,question,option_id,option,votes,voters,percent\r\n"
RESPONSES_HEADER = b"\xef\xbb\xbfquestion_id,question,participant,option_id,option,answered_at,value\r\n"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")

# Labels that need quoting (comma, quote, semicolon) and labels that look like spreadsheet formulas. Question
# texts and labels are one line (livepoll/text.py): a typed line break is stored, and exported, as a space.
Q1_TEXT = 'Wskaż, z kim "współpracować"\nwobec wyzwań'
Q1_STORED = 'Wskaż, z kim "współpracować" wobec wyzwań'
Q1_OPTIONS = [
    "miasto",
    "urzędy pracy, agencje zatrudnienia",
    'NGO "Razem"',
    "linia 1\nlinia 2",
    "=SUM(A1:A9)",
    "+48 600 000 000",
    "-5",
    "@admin",
    "mieszkańcy; rady osiedli",
]
Q2_TEXT = "=1+1 czy dwa?"
QUESTIONS = [
    {"kind": "choice", "text": Q1_TEXT, "options": Q1_OPTIONS, "max_choices": 9},
    {"kind": "choice", "text": Q2_TEXT, "options": ["tak", "nie"]},
]
BALLOTS = [["o1", "o2"], ["o1", "o3", "o5"], ["o1"]]

EXPECTED_RESULTS = (
    RESULTS_HEADER
    + 'q1,"Wskaż, z kim ""współpracować"" wobec wyzwań",o1,miasto,3,3,100.0\r\n'.encode()
    + 'q1,"Wskaż, z kim ""współpracować"" wobec wyzwań",o2,"urzędy pracy, agencje zatrudnienia",1,3,33.3\r\n'.encode()
    + 'q1,"Wskaż, z kim ""współpracować"" wobec wyzwań",o3,"NGO ""Razem""",1,3,33.3\r\n'.encode()
    + 'q1,"Wskaż, z kim ""współpracować"" wobec wyzwań",o4,linia 1 linia 2,0,3,0.0\r\n'.encode()
    + "q1,\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\",o5,'=SUM(A1:A9),1,3,33.3\r\n".encode()
    + "q1,\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\",o6,'+48 600 000 000,0,3,0.0\r\n".encode()
    + "q1,\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\",o7,'-5,0,3,0.0\r\n".encode()
    + "q1,\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\",o8,'@admin,0,3,0.0\r\n".encode()
    + 'q1,"Wskaż, z kim ""współpracować"" wobec wyzwań",o9,mieszkańcy; rady osiedli,0,3,0.0\r\n'.encode()
    + b"q2,'=1+1 czy dwa?,o1,tak,0,0,0.0\r\n"
    + b"q2,'=1+1 czy dwa?,o2,nie,0,0,0.0\r\n"
)

EXPECTED_RESULTS_SEMICOLON = (
    b"\xef\xbb\xbfquestion_id;question;option_id;option;votes;voters;percent\r\n"
    + 'q1;"Wskaż, z kim ""współpracować"" wobec wyzwań";o1;miasto;3;3;100,0\r\n'.encode()
    + 'q1;"Wskaż, z kim ""współpracować"" wobec wyzwań";o2;urzędy pracy, agencje zatrudnienia;1;3;33,3\r\n'.encode()
    + 'q1;"Wskaż, z kim ""współpracować"" wobec wyzwań";o3;"NGO ""Razem""";1;3;33,3\r\n'.encode()
    + 'q1;"Wskaż, z kim ""współpracować"" wobec wyzwań";o4;linia 1 linia 2;0;3;0,0\r\n'.encode()
    + "q1;\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\";o5;'=SUM(A1:A9);1;3;33,3\r\n".encode()
    + "q1;\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\";o6;'+48 600 000 000;0;3;0,0\r\n".encode()
    + "q1;\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\";o7;'-5;0;3;0,0\r\n".encode()
    + "q1;\"Wskaż, z kim \"\"współpracować\"\" wobec wyzwań\";o8;'@admin;0;3;0,0\r\n".encode()
    + 'q1;"Wskaż, z kim ""współpracować"" wobec wyzwań";o9;"mieszkańcy; rady osiedli";0;3;0,0\r\n'.encode()
    + b"q2;'=1+1 czy dwa?;o1;tak;0;0;0,0\r\n"
    + b"q2;'=1+1 czy dwa?;o2;nie;0;0;0,0\r\n"
)


async def _voted_session(api: LivepollClient) -> tuple[str, str, list[LivepollClient], float, float]:
    """The labelled session with BALLOTS cast by three participants; returns code, key, phones and the
    time window the ballots were cast in."""
    code, key, _ = await api.create_session(title="Eksport, \"CSV\"", questions=QUESTIONS)
    phones = [api.participant() for _ in BALLOTS]
    started = time.time()
    for phone, choices in zip(phones, BALLOTS, strict=True):
        await phone.join(code)
        assert (await phone.vote(code, "q1", choices)).status_code == 200
    return code, key, phones, started, time.time()


def _rows(body: bytes, delimiter: str = ",") -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline=""), delimiter=delimiter))


async def test_results_csv_bytes_are_exact(api: LivepollClient) -> None:
    """export.csv: BOM, exact header, CRLF rows per (question, option), percent of voters with one decimal
    and 0.0 without voters, RFC 4180 quoting of commas and quotes, formula cells prefixed with '."""
    code, key, _, _, _ = await _voted_session(api)
    response = await api.get(f"/api/v1/sessions/{code}/export.csv", headers=api.host_headers(key))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content == EXPECTED_RESULTS
    # Stable: the same state exports the same bytes.
    assert await api.export(code, key) == EXPECTED_RESULTS


async def test_results_csv_semicolon_variant(api: LivepollClient) -> None:
    """?delimiter=semicolon: the same table with `;` between cells and a decimal comma (Polish Excel)."""
    code, key, _, _, _ = await _voted_session(api)
    assert await api.export(code, key, delimiter="semicolon") == EXPECTED_RESULTS_SEMICOLON


async def test_results_csv_of_a_fresh_session_has_zero_percent(api: LivepollClient) -> None:
    """Without any ballot every row says 0 votes, 0 voters and percent 0.0."""
    code, key, _ = await api.create_session(options=["tak", "nie"], text="Pytanie")
    assert await api.export(code, key) == (
        RESULTS_HEADER + b"q1,Pytanie,o1,tak,0,0,0.0\r\nq1,Pytanie,o2,nie,0,0,0.0\r\n"
    )


async def test_results_percent_rounds_to_one_decimal(api: LivepollClient) -> None:
    """percent = votes/voters*100 with one decimal: 2 of 3 is 66.7, 1 of 3 is 33.3, 1 of 7 is 14.3."""
    code, key, _ = await api.create_session(options=["a", "b", "c"], text="P")
    for choice in ["o1", "o1", "o2", "o1", "o1", "o3", "o2"]:
        phone = api.participant()
        await phone.join(code)
        assert (await phone.vote(code, "q1", [choice])).status_code == 200
    assert await api.export(code, key) == RESULTS_HEADER + (
        b"q1,P,o1,a,4,7,57.1\r\nq1,P,o2,b,2,7,28.6\r\nq1,P,o3,c,1,7,14.3\r\n"
    )
    code, key, _ = await api.create_session(options=["a", "b"], text="P")
    for choice in ["o1", "o1", "o2"]:
        phone = api.participant()
        await phone.join(code)
        assert (await phone.vote(code, "q1", [choice])).status_code == 200
    assert await api.export(code, key) == RESULTS_HEADER + b"q1,P,o1,a,2,3,66.7\r\nq1,P,o2,b,1,3,33.3\r\n"


async def test_responses_csv_lists_each_chosen_option_of_each_counted_ballot(api: LivepollClient) -> None:
    """P3: responses.csv: BOM, exact header (no address), CRLF, one row per chosen option of each counted ballot, oldest
    first, labels quoted and defused as in export.csv, answered_at in UTC ISO 8601 with Z."""
    code, key, _, started, finished = await _voted_session(api)
    body = await api.export(code, key, "responses.csv")
    assert body.startswith(RESPONSES_HEADER)
    assert body.endswith(b"\r\n")
    # Every line break outside quoted cells is CRLF: stripping quoted cells leaves no bare \n.
    unquoted = re.sub(rb'"(?:[^"]|"")*"', b"", body)
    assert b"\n" not in unquoted.replace(b"\r\n", b"")
    rows = _rows(body)
    assert rows[0] == ["question_id", "question", "participant", "option_id", "option", "answered_at", "value"]
    assert all(r[6] == "" for r in rows[1:])  # choice ballots have no rank or rating
    data = rows[1:]
    assert [(r[0], r[1], r[3], r[4]) for r in data] == [
        ("q1", Q1_STORED, "o1", "miasto"),
        ("q1", Q1_STORED, "o2", "urzędy pracy, agencje zatrudnienia"),
        ("q1", Q1_STORED, "o1", "miasto"),
        ("q1", Q1_STORED, "o3", 'NGO "Razem"'),
        ("q1", Q1_STORED, "o5", "'=SUM(A1:A9)"),
        ("q1", Q1_STORED, "o1", "miasto"),
    ]
    participants = [r[2] for r in data]
    assert participants[0] == participants[1] and participants[2] == participants[3] == participants[4]
    assert len({participants[0], participants[2], participants[5]}) == 3
    times = []
    for row in data:
        assert ISO_UTC.match(row[5]), row[5]
        moment = datetime.fromisoformat(row[5].replace("Z", "+00:00"))
        assert moment.tzinfo is not None and moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        times.append(moment.timestamp())
    assert all(started - 1 <= t <= finished + 1 for t in times), (started, times, finished)
    assert times == sorted(times)
    assert times[2] == times[3] == times[4]


async def test_responses_csv_semicolon_variant(api: LivepollClient) -> None:
    """?delimiter=semicolon gives the same responses with `;` between cells."""
    code, key, _, _, _ = await _voted_session(api)
    comma = _rows(await api.export(code, key, "responses.csv"))
    body = await api.export(code, key, "responses.csv", delimiter="semicolon")
    assert body.startswith(b"\xef\xbb\xbfquestion_id;question;participant;option_id;option;answered_at;value\r\n")
    assert _rows(body, ";") == comma


async def test_responses_keep_only_the_counted_ballot(api: LivepollClient) -> None:
    """A changed ballot appears once, with its newest choices and the time of the change."""
    code, key, _ = await api.create_session(options=["a", "b", "c"], max_choices=2, text="P")
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1", "o2"])).status_code == 200
    first = _rows(await api.export(code, key, "responses.csv"))[1][5]
    await asyncio.sleep(0.01)  # answered_at has millisecond resolution
    assert (await phone.vote(code, "q1", ["o3"])).status_code == 200
    rows = _rows(await api.export(code, key, "responses.csv"))[1:]
    assert [(r[3], r[4]) for r in rows] == [("o3", "c")]
    assert rows[0][5] > first


async def test_participant_pseudonym_is_stable_in_a_session_and_differs_across_sessions(
    api: LivepollClient,
) -> None:
    """P3: the same participant has one pseudonym on every question of a session, another one in another
    session, and neither is (or contains) the cookie value or the participant id."""
    two = [
        {"kind": "choice", "text": "A", "options": ["a", "b"]},
        {"kind": "choice", "text": "B", "options": ["x", "y"]},
    ]
    code1, key1, _ = await api.create_session(questions=two)
    code2, key2, _ = await api.create_session(questions=two)
    phone = api.participant()
    cookie = (await phone.get(f"/api/v1/sessions/{code1}")).cookies["lp_pid"]
    await phone.join(code2)
    assert (await phone.vote(code1, "q1", ["o1"])).status_code == 200
    assert (await phone.vote(code2, "q1", ["o2"])).status_code == 200
    assert (await api.control(code1, key1, "goto", "q2")).status_code == 200
    assert (await phone.vote(code1, "q2", ["o2"])).status_code == 200
    body1 = await api.export(code1, key1, "responses.csv")
    body2 = await api.export(code2, key2, "responses.csv")
    in_session1 = {r[2] for r in _rows(body1)[1:]}
    in_session2 = {r[2] for r in _rows(body2)[1:]}
    assert len(_rows(body1)) == 3 and len(in_session1) == 1
    assert len(in_session2) == 1 and in_session1 != in_session2
    participant_id, _, signature = cookie.rpartition(".")
    for body in (body1, body2):
        text = body.decode("utf-8")
        for secret in (cookie, participant_id, signature):
            assert secret not in text
    for pseudonym in in_session1 | in_session2:
        assert pseudonym and pseudonym not in cookie


async def test_exports_of_an_untouched_question_have_no_responses(api: LivepollClient) -> None:
    """responses.csv of a session without ballots is the header alone."""
    code, key, _ = await api.create_session()
    assert await api.export(code, key, "responses.csv") == RESPONSES_HEADER
    assert await api.export(code, key, "responses.csv", delimiter="semicolon") == (
        b"\xef\xbb\xbfquestion_id;question;participant;option_id;option;answered_at;value\r\n"
    )



async def test_every_kind_has_its_rows_in_both_exports(api: LivepollClient) -> None:
    """export.csv: a row per (question, item) of each kind (ranking votes = score, scale `s=v` rows, words by
    key, one row per open entry); responses.csv: the `value` column holds the rank or the rating, `option` the
    text of words, entries and `other`."""
    questions = [
        {"kind": "choice", "text": "Z kim?", "options": ["miasto", "NGO"], "other": True},
        {"kind": "ranking", "text": "Ważne?", "options": ["a", "b", "c"]},
        {"kind": "scale", "text": "Oceń", "statements": ["treść"], "min": 1, "max": 3},
        {"kind": "wordcloud", "text": "Słowo", "max_entries": 2},
        {"kind": "open", "text": "Uwagi"},
    ]
    code, key, _ = await api.create_session(questions=questions)
    phone = api.participant()
    await phone.join(code)
    votes = [
        ("q1", {"choices": ["other"], "other_text": "=rada dzielnicy"}),
        ("q2", {"order": ["o3", "o1", "o2"]}),
        ("q3", {"ratings": {"s1": 2}}),
        ("q4", {"entries": ["Szkoła", "biblioteka"]}),
        ("q5", {"text": "Więcej czasu\nna pytania"}),
    ]
    for question, fields in votes:
        if question != "q1":
            assert (await api.control(code, key, "goto", question)).status_code == 200
        response = await phone.post(f"/api/v1/sessions/{code}/votes", json={"question": question, **fields})
        assert response.status_code == 200, response.text
    results = _rows(await api.export(code, key))
    by_question: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for row in results[1:]:
        by_question.setdefault(row[0], []).append((row[2], row[3], row[4], row[5], row[6]))
    assert by_question["q1"] == [("o1", "miasto", "0", "1", "0.0"), ("o2", "NGO", "0", "1", "0.0"),
                                 ("other", "", "1", "1", "100.0")]
    assert by_question["q2"] == [("o1", "a", "2", "1", "200.0"), ("o2", "b", "1", "1", "100.0"),
                                 ("o3", "c", "3", "1", "300.0")]
    assert by_question["q3"] == [("s1=1", "treść = 1", "0", "1", "0.0"), ("s1=2", "treść = 2", "1", "1", "100.0"),
                                 ("s1=3", "treść = 3", "0", "1", "0.0")]
    assert sorted(r[1] for r in by_question["q4"]) == ["Szkoła", "biblioteka"]
    assert all(r[2:] == ("1", "1", "100.0") for r in by_question["q4"])
    assert [(r[1], r[2]) for r in by_question["q5"]] == [("Więcej czasu\nna pytania", "1")]
    responses = _rows(await api.export(code, key, "responses.csv"))
    rows = {(r[0], r[3]): (r[4], r[6]) for r in responses[1:]}
    assert rows[("q1", "other")] == ("'=rada dzielnicy", "")  # the text, defused like every cell
    assert [rows[("q2", o)] for o in ("o3", "o1", "o2")] == [("c", "1"), ("a", "2"), ("b", "3")]
    assert rows[("q3", "s1")] == ("treść", "2")
    assert sorted(r[4] for r in responses[1:] if r[0] == "q4") == ["Szkoła", "biblioteka"]
    assert [v for k, v in rows.items() if k[0] == "q5"] == [("Więcej czasu\nna pytania", "")]
