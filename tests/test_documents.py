"""Documents for organisers (issue 11), against a real server on both backends: the workbook read back with
openpyxl and converted by LibreOffice, the report and poster PDFs read with poppler's pdftotext/pdfinfo, the
poster's QR code decoded from a rendering of the PDF, and chart images. One session with every kind of
question (and Q&A) is voted on once per backend; every test reads the documents made from it."""

from __future__ import annotations

import csv
import io
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import openpyxl
import pytest
from support.server import LivepollClient, ServerProcess

TITLE = "Warsztat: migracja — Міграція"
QUESTIONS: list[dict[str, Any]] = [
    {"kind": "choice", "text": "Z kim współpracować? З ким співпрацювати?", "max_choices": 2, "other": True,
     "other_label": "Inne", "options": ["miasto", "=SUM(A1:A9)", "NGO „Razem”"]},
    {"kind": "wordcloud", "text": "Jedno słowo o mieście", "max_entries": 3},
    {"kind": "open", "text": "Co poprawić? Що покращити?", "max_entries": 2},
    {"kind": "scale", "text": "Oceń warsztat", "statements": ["Treść", "Prowadzenie"], "min": 1, "max": 5,
     "min_label": "źle", "max_label": "świetnie"},
    {"kind": "ranking", "text": "Uszereguj priorytety", "options": ["mieszkania", "praca", "język"]},
    {"kind": "quiz", "text": "Stolica Ukrainy? [quiz] a/b: *?", "options": ["Kijów", "Lwów"], "correct": [0]},
]
BALLOTS: list[list[dict[str, Any]]] = [
    [{"question": "q1", "choices": ["o1", "other"], "other_text": "biznes lokalny"},
     {"question": "q2", "entries": ["dom", "praca"]},
     {"question": "q3", "text": "Więcej przerw — більше перерв"},
     {"question": "q4", "ratings": {"s1": 5, "s2": 4}},
     {"question": "q5", "order": ["o2", "o1", "o3"]},
     {"question": "q6", "choices": ["o1"]}],
    [{"question": "q1", "choices": ["o2"]},
     {"question": "q2", "entries": ["dom"]},
     {"question": "q3", "text": "Ґанок і їжа, żółć"},
     {"question": "q4", "ratings": {"s1": 3}},
     {"question": "q5", "order": ["o1", "o2", "o3"]},
     {"question": "q6", "choices": ["o2"]}],
    [{"question": "q1", "choices": ["o1"]},
     {"question": "q6", "choices": ["o1"]}],
]
LONGEST_TITLE = ("Partnerstwo w zarządzaniu migracją — webinar dla urzędów i organizacji pozarządowych " * 3)[:200]
QA_TEXT = "Kiedy następne spotkanie? Коли наступна зустріч?"
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
A4_POINTS = (595.28, 841.89)


@dataclass
class Documents:
    """The session and every document made from it, fetched once per backend."""

    code: str
    key: str
    join: str
    files: dict[str, httpx.Response] = field(default_factory=dict)

    def ok(self, name: str) -> bytes:
        response = self.files[name]
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        return response.content


@pytest.fixture(scope="module")
def documents(server: ServerProcess) -> Iterator[Documents]:
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=60) as host:
        created = host.post("/api/v1/sessions", headers=LivepollClient.admin_headers(), json={
            "title": TITLE, "questions": QUESTIONS, "mode": "self_paced", "qa": {"enabled": True}})
        assert created.status_code == 201, created.text
        body = created.json()
        code, key = body["code"], body["host_key"]
        for n, ballots in enumerate(BALLOTS):
            with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as phone:
                assert phone.get(f"/api/v1/sessions/{code}").status_code == 200
                for ballot in ballots:
                    answer = phone.post(f"/api/v1/sessions/{code}/votes", json=ballot)
                    assert answer.status_code == 200, answer.text
                if n == 0:
                    asked = phone.post(f"/api/v1/sessions/{code}/qa", json={"text": QA_TEXT, "name": "Ola"})
                    assert asked.status_code in (200, 201), asked.text
        found = Documents(code, key, body["links"]["join"])
        auth = {"Authorization": f"Bearer {key}"}
        api = f"/api/v1/sessions/{code}"
        for name in ("export.csv", "responses.csv", "qa.csv", "results.xlsx", "report.pdf", "poster.pdf"):
            found.files[name] = host.get(f"{api}/{name}", headers=auth)
        found.files["results.xlsx?lang=en"] = host.get(f"{api}/results.xlsx", headers=auth, params={"lang": "en"})
        for n in range(1, len(QUESTIONS) + 1):
            for image in ("svg", "png"):
                found.files[f"q{n}.{image}"] = host.get(f"{api}/questions/q{n}/chart.{image}", headers=auth)
        found.files["q9.svg"] = host.get(f"{api}/questions/q9/chart.svg", headers=auth)
        found.files["anonymous.xlsx"] = host.get(f"{api}/results.xlsx")
        longest = host.post("/api/v1/sessions", headers=LivepollClient.admin_headers(), json={
            "title": LONGEST_TITLE, "questions": QUESTIONS[:1]}).json()
        found.files["longest poster.pdf"] = host.get(f"/api/v1/sessions/{longest['code']}/poster.pdf",
                                                     headers={"Authorization": f"Bearer {longest['host_key']}"})
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=60, follow_redirects=True) as browser:
            for page in ("report", "poster"):
                found.files[page] = browser.get(f"/host/{code}/{page}", params={"key": key})
            found.files["panel"] = browser.get(f"/host/{code}")
        yield found


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _plain(text: str) -> str:
    """A CSV cell as typed: without the apostrophe that defuses a formula-looking text."""
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


# The workbook ------------------------------------------------------------------------------------------------


def test_workbook_has_valid_unique_sheet_names_and_a_chart_per_question(documents: Documents) -> None:
    response = documents.files["results.xlsx"]
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="livepoll-{documents.code}-warsztat-migracja-mihratsiia-results.xlsx"' in \
        response.headers["content-disposition"]
    book = _workbook(documents.ok("results.xlsx"))
    names = book.sheetnames
    assert names[0] == "Summary" and names[-2:] == ["Responses", "Q&A"]
    assert len(names) == len(QUESTIONS) + 3
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31 and not SHEET_NAME_FORBIDDEN.search(name), name
    assert names[6] == "6 Stolica Ukrainy quiz a b"  # []:*?/ taken out
    assert names[1].startswith("1 Z kim współpracować") and len(names[1]) == 31
    charted = {name: len(book[name]._charts) for name in names[1:-2]}
    assert [charted[n] for n in names[1:-2]] == [1, 1, 0, 1, 1, 1], charted  # open text: its entries, no chart


def test_workbook_numbers_are_those_of_export_csv(documents: Documents) -> None:
    book = _workbook(documents.ok("results.xlsx"))
    expected = _csv_rows(documents.ok("export.csv"))
    for n, name in enumerate(book.sheetnames[1:-2], start=1):
        sheet = book[name]
        assert sheet["A1"].value == QUESTIONS[n - 1]["text"]
        rows = []
        for row in sheet.iter_rows(min_row=5, max_col=5):
            if row[0].value is None and row[1].value is None:
                break
            rows.append(row)
        wanted = [r for r in expected if r["question_id"] == f"q{n}"]
        assert len(rows) == len(wanted), name
        for cells, line in zip(rows, wanted, strict=True):
            item_id, item, votes, voters, percent = (c.value for c in cells)
            assert (item_id or "", item, votes, voters, percent) == (
                line["option_id"], _plain(line["option"]), int(line["votes"]), int(line["voters"]),
                float(line["percent"])), (name, line)
            if item.startswith("="):  # text, never a formula: Excel's quote prefix instead of the apostrophe
                assert cells[1].data_type == "s" and cells[1].quotePrefix
    summary = book["Summary"]
    assert summary["A1"].value == TITLE
    assert summary["A3"].value == "Kod dołączenia"  # the session's default language: Polish
    assert summary["B3"].value == f"{documents.code[:4]} {documents.code[4:]}"
    assert isinstance(summary["B4"].value, datetime)
    assert summary["B6"].value == len(BALLOTS)  # participants who answered
    english = _workbook(documents.ok("results.xlsx?lang=en"))["Summary"]
    assert english["A3"].value == "Join code"


def test_workbook_responses_and_qa_have_real_datetimes(documents: Documents) -> None:
    book = _workbook(documents.ok("results.xlsx"))
    expected = _csv_rows(documents.ok("responses.csv"))
    sheet = book["Responses"]
    header = [c.value for c in sheet[1]]
    assert header == list(expected[0].keys())
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(expected)
    for row, line in zip(rows, expected, strict=True):
        answered = row[5]
        assert isinstance(answered, datetime)
        iso = datetime.fromisoformat(line["answered_at"].replace("Z", "+00:00")).replace(tzinfo=None)
        assert abs((answered - iso).total_seconds()) < 0.01
        assert (row[0], row[2], row[4] or "") == (line["question_id"], line["participant"], _plain(line["option"]))
    qa = list(book["Q&A"].iter_rows(min_row=2, values_only=True))
    assert [(q[1], q[2], q[4]) for q in qa] == [(QA_TEXT, "Ola", "visible")]
    assert isinstance(qa[0][6], datetime)
    assert datetime.now(UTC).replace(tzinfo=None) > qa[0][6]


def test_libreoffice_reads_every_sheet(documents: Documents, tmp_path: Path) -> None:
    """A real spreadsheet program opens the workbook: LibreOffice converts each sheet to CSV."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (Debian's libreoffice-calc) is needed; scripts/test installs it"
    source = tmp_path / "results.xlsx"
    source.write_bytes(documents.ok("results.xlsx"))
    # CSV filter options: comma, double quote, UTF-8, from row 1, ..., sheet -1 = every sheet to its own file.
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir",
         str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=90,
    )
    converted = {p.name: p.read_text("utf-8") for p in tmp_path.glob("results-*.csv")}
    assert "results-Summary.csv" in converted, sorted(converted)
    assert TITLE in converted["results-Summary.csv"]
    choice = next(text for name, text in converted.items() if name.startswith("results-1 "))
    assert "o1,miasto,2,3,66.7\no2,=SUM(A1:A9),1,3,33.3\no3,NGO „Razem”,0,3,0\n" in choice, choice
    responses = converted["results-Responses.csv"]
    assert len(responses.strip().splitlines()) == len(_csv_rows(documents.ok("responses.csv"))) + 1
    assert re.search(r",20\d\d-\d\d-\d\d \d\d:\d\d:\d\d,", responses), responses[:500]


# The report and the poster ------------------------------------------------------------------------------------


def _pdf_pages(path: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]


def _pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())


def test_report_pdf_is_a4_with_every_question(documents: Documents, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(documents.ok("report.pdf"))
    assert documents.files["report.pdf"].headers["content-type"] == "application/pdf"
    pages = _pdf_pages(pdf)
    assert len(pages) >= len(QUESTIONS) + 1  # the header page, then a page (or more) per question
    assert all(abs(w - A4_POINTS[0]) < 1 and abs(h - A4_POINTS[1]) < 1 for w, h in pages), pages
    text = _pdf_text(pdf)
    for question in QUESTIONS:
        assert " ".join(question["text"].split()) in text, question["text"]
    for phrase in (TITLE, "Więcej przerw — більше перерв", "Ґанок і їжа, żółć", QA_TEXT, "biznes lokalny",
                   "Kod dołączenia", "Kijów"):
        assert phrase in text, phrase


def test_report_page_prints_without_javascript(documents: Documents) -> None:
    page = documents.files["report"]
    assert page.status_code == 200 and str(page.url).endswith(f"/host/{documents.code}/report")
    html = page.text
    assert "<script" not in html and html.count("<svg") == len(QUESTIONS) - 1  # open text lists its entries
    assert "documents.css" in html and 'lang="pl"' in html
    for question in QUESTIONS:
        assert question["text"].replace("„", "&#8222;")[:10] in html or question["text"][:10] in html


def test_poster_pdf_is_one_a4_page_whose_qr_code_opens_the_session(documents: Documents, tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(documents.ok("poster.pdf"))
    assert [(round(w), round(h)) for w, h in _pdf_pages(pdf)] == [(595, 842)]
    text = _pdf_text(pdf)
    grouped = f"{documents.code[:4]} {documents.code[4:]}"
    for phrase in (TITLE, grouped, "Zeskanuj kod QR", "Відскануйте QR-код", "Scan the QR code"):
        assert phrase in text, (phrase, text)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(tmp_path / "poster")], check=True)
    decoded = zxingcpp.read_barcodes(Image.open(tmp_path / "poster.png"))
    assert [d.text for d in decoded] == [documents.join]
    longest = tmp_path / "longest.pdf"
    longest.write_bytes(documents.ok("longest poster.pdf"))
    assert len(_pdf_pages(longest)) == 1  # a title at the longest allowed still leaves it one page
    poster = documents.files["poster"]
    assert poster.status_code == 200 and "<svg" in poster.text and grouped in poster.text


# Chart images and the panel -----------------------------------------------------------------------------------


def test_chart_images_are_svg_and_png_of_the_drawn_size(documents: Documents) -> None:
    for n in range(1, len(QUESTIONS) + 1):
        svg = documents.ok(f"q{n}.svg")
        assert documents.files[f"q{n}.svg"].headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        width, height = int(root.attrib["width"]), int(root.attrib["height"])
        assert width == 960 and height > 50
        png = documents.ok(f"q{n}.png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (2 * width, 2 * height)  # twice the SVG's size
    assert "Kijów" in documents.ok("q6.svg").decode() and "✓" in documents.ok("q6.svg").decode()
    assert documents.files["q9.svg"].status_code == 404
    assert documents.files["q9.svg"].json()["error"] == "unknown_question"
    assert documents.files["anonymous.xlsx"].status_code == 401


def test_host_panel_offers_every_document(documents: Documents) -> None:
    panel = documents.files["panel"]
    assert panel.status_code == 200
    api = f"/api/v1/sessions/{documents.code}"
    for link in (f"{api}/export.csv", f"{api}/export.csv?delimiter=semicolon", f"{api}/responses.csv",
                 f"{api}/results.xlsx", f"{api}/report.pdf", f"/host/{documents.code}/report",
                 f"{api}/poster.pdf", f"/host/{documents.code}/poster", f"{api}/questions/q1/chart.png",
                 f"{api}/qa.csv"):
        assert f'href="{link}"' in panel.text, link


# Without the optional renderers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose Python cannot import WeasyPrint nor CairoSVG (as without the `pdf` extra)."""
    hidden = tmp_path_factory.mktemp("hidden")
    for name in ("weasyprint", "cairosvg"):
        (hidden / f"{name}.py").write_text(f"raise ImportError('{name} is not installed here')\n")
    with ServerProcess(tmp_path_factory.mktemp("bare"), env={"PYTHONPATH": str(hidden)}) as server:
        yield server


async def test_without_the_pdf_extra_the_server_runs_and_says_503(bare_server: ServerProcess) -> None:
    """The renderers do not depend on the store: one embedded server is enough."""
    async with LivepollClient(bare_server) as api:
        code, key, _ = await api.create_session(title="Bez PDF")
        auth = api.host_headers(key)
        for name, error in (("report.pdf", "pdf_unavailable"), ("poster.pdf", "pdf_unavailable"),
                            ("questions/q1/chart.png", "png_unavailable")):
            answer = await api.get(f"/api/v1/sessions/{code}/{name}", headers=auth)
            assert answer.status_code == 503 and answer.json()["error"] == error, answer.text
            assert "livepoll[pdf]" in answer.json()["message"]
        for name in ("results.xlsx", "questions/q1/chart.svg"):
            assert (await api.get(f"/api/v1/sessions/{code}/{name}", headers=auth)).status_code == 200


# Pure parts ----------------------------------------------------------------------------------------------------


def test_sheet_names_are_valid_whatever_the_question_text() -> None:
    from livepoll.documents.workbook import sheet_names
    from livepoll.kinds import make_question

    texts = ["[Summary]", "Q&A?", "'quoted' / slashes \\ and : colons *", "Ж" * 80, "Ж" * 80, " ? ", "x" * 500]
    tables = [SimpleNamespace(number=n, question=make_question(n, text, ["a", "b"]))
              for n, text in enumerate(texts, start=1)]
    names = sheet_names(tables)  # type: ignore[arg-type]
    assert len({n.casefold() for n in [*names, "summary", "responses", "q&a"]}) == len(names) + 3
    for name in names:
        assert 0 < len(name) <= 31 and not SHEET_NAME_FORBIDDEN.search(name) and "'" not in name, name
    assert names[0] == "1 Summary" and names[3] == "4 " + "Ж" * 29


def test_long_sheet_rows_escape_text_and_defuse_formulas() -> None:
    from livepoll.documents.sheetxml import write_rows

    out = io.StringIO()
    count = write_rows(out, [("=1+1", "<b>&\x07", 3, 1_763_942_400.0, None)], 2, (3,), time_style=7, quote_style=9)
    xml = out.getvalue()
    assert count == 1
    assert '<c s="9" t="inlineStr"><is><t xml:space="preserve">=1+1</t></is></c>' in xml
    assert "&lt;b&gt;&amp;</t>" in xml and "\x07" not in xml
    assert '<c s="7"><v>45985.0</v></c><c/>' in xml  # 2025-11-24 00:00 UTC as an Excel serial day
