"""The `livepoll` command line as an operator runs it (`python -m livepoll ...` in a subprocess)."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from support.server import ServerProcess, ServerStartError, free_port, run_cli

EXAMPLE_TITLE = "Partnerstwo w zarządzaniu migracją"
EXAMPLE_QUESTION = "Wskaż, z kim chciałbyś / chciałabyś współpracować wobec wyzwań migracyjnych"
EXAMPLE_OPTIONS = [
    "miasto",
    "biznes lokalny",
    "NGO",
    "instytucje edukacyjne",
    "instytucje kultury",
    "urzędy pracy, agencje zatrudnienia",
    "migranci",
    "lokalne media",
    "mieszkańcy (rady osiedli, wspólnoty mieszkaniowe, organizacje parafialne)",
]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_workers_without_redis_refuses_to_start(tmp_path: Path) -> None:
    """`serve --workers 2` on the embedded store exits non-zero with a message naming LIVEPOLL_REDIS_URL,
    and never listens."""
    port = free_port()
    done = run_cli(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env={"LIVEPOLL_DATA_DIR": str(tmp_path / "data")},
    )
    assert done.returncode != 0
    assert "LIVEPOLL_REDIS_URL" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert not listening(port)


@pytest.mark.parametrize("backend", ["embedded", "redis"])
def test_demo_no_serve_creates_the_example_sessions(
    make_server: Callable[..., ServerProcess], backend: str
) -> None:
    """`demo --no-serve` prints the grouped join codes and host links, and exits; a server started afterwards
    on the same data has the example session (first: poll, word cloud, quiz, Q&A) and the self-paced
    evaluation survey (second, Polish and Ukrainian), and the printed host keys work."""
    server = make_server(backend, start=False)
    done = run_cli(
        ["demo", "--no-serve", "--host", "127.0.0.1", "--port", str(server.port)], env=server.environ(), timeout=20
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"\b([1-9]\d{3}) (\d{4})\b", done.stdout)
    assert match, done.stdout
    code = match.group(1) + match.group(2)
    host_link = re.search(rf"{re.escape(server.base_url)}/host/{code}\?key=(\S+)", done.stdout)
    assert host_link, done.stdout
    key = host_link.group(1)
    assert not listening(server.port)

    server.start()
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client:
        public = client.get(f"/api/v1/sessions/{code}")
        assert public.status_code == 200, public.text
        body = public.json()
        assert body["title"] == EXAMPLE_TITLE and body["voting_open"] is True
        # The webinar's hour: the poll first, then a word cloud and the self-assessment quiz, with Q&A beside.
        assert body["question_count"] == 3 and body["qa"]["enabled"] is True
        question = body["question"]
        assert question["text"] == EXAMPLE_QUESTION and question["max_choices"] == 9
        assert [o["label"] for o in question["options"]] == EXAMPLE_OPTIONS
        results = client.get(f"/api/v1/sessions/{code}/results", headers={"Authorization": f"Bearer {key}"})
        assert results.status_code == 200, results.text
        codes = ["".join(found) for found in re.findall(r"Join code:  ([1-9]\d{3}) (\d{4})", done.stdout)]
        assert len(codes) == 2 and codes[0] == code, done.stdout
        survey = client.get(f"/api/v1/sessions/{codes[1]}", params={"lang": "uk"}).json()
        assert (survey["mode"], survey["title"]) == ("self_paced", "Оціночна анкета вебінару")
        assert [q["kind"] for q in survey["questions"]] == ["scale", "open", "choice"]
        assert len(survey["questions"][0]["statements"]) == 4
        assert (survey["questions"][0]["min"], survey["questions"][0]["max"]) == (1, 5)


def test_serve_prints_the_host_url_and_where_data_lives(make_server: Callable[..., ServerProcess]) -> None:
    """On start `serve` prints the URL to open as host and the data directory."""
    server = make_server()
    output = server.log_since_start()
    assert f"{server.base_url}/host" in output
    assert str(server.data_dir) in output


def test_admin_token_is_generated_kept_and_printed_once(make_server: Callable[..., ServerProcess]) -> None:
    """Without LIVEPOLL_ADMIN_TOKEN the first start generates one, keeps it in the data dir and prints it;
    after a restart the same token still works and is not printed again."""
    server = make_server(unset=["LIVEPOLL_ADMIN_TOKEN"])
    token = (server.data_dir / "admin_token").read_text().strip()
    assert len(token) >= 20
    assert token in server.log_since_start()
    body = {"title": "T", "questions": [{"kind": "choice", "text": "Q", "options": ["a", "b"]}]}
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client:

        def create(bearer: str) -> int:
            return client.post("/api/v1/sessions", json=body, headers={"Authorization": f"Bearer {bearer}"}).status_code

        assert create(token) == 201
        server.restart()
        assert token not in server.log_since_start()
        assert create(token) == 201
        assert create("x") == 401


BAD_SETTINGS = [
    ("LIVEPOLL_REDIS_URL", "http://127.0.0.1:6379"),
    ("LIVEPOLL_PUBLIC_URL", "poll.example.org"),
    ("LIVEPOLL_PRESENTER_RATE", "fast"),
    ("LIVEPOLL_WS_MAX_SIZE", "10"),
    ("LIVEPOLL_RETENTION_DAYS", "-1"),
    ("LIVEPOLL_REDIS_TIMEOUT", "0"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS, ids=[n for n, _ in BAD_SETTINGS])
def test_bad_setting_fails_at_start_naming_the_variable(tmp_path: Path, name: str, value: str) -> None:
    """A bad LIVEPOLL_* value stops `serve` at once with a message that names the variable (no traceback,
    no listening socket)."""
    port = free_port()
    done = run_cli(
        ["serve", "--host", "127.0.0.1", "--port", str(port)],
        env={"LIVEPOLL_DATA_DIR": str(tmp_path / "data"), name: value},
    )
    assert done.returncode != 0
    assert name in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert not listening(port)


def test_bad_setting_fails_through_server_process(make_server: Callable[..., ServerProcess]) -> None:
    """ServerProcess reports a server that exits at start as ServerStartError with its output."""
    with pytest.raises(ServerStartError) as failed:
        make_server(env={"LIVEPOLL_PRESENTER_RATE": "fast"})
    assert "LIVEPOLL_PRESENTER_RATE" in str(failed.value)
