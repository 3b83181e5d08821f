"""Take docs/presenter.png: the presenter screen with the example session and a few votes.

Starts its own `livepoll serve` on a free loopback port with a throwaway data dir, creates the example
session through the API, connects a handful of participants over the participant WebSocket and lets them
vote, then photographs /present/{code} in Debian's headless Chromium (Playwright drives it; Playwright's own
browser download is not used).

    python scripts/screenshot.py [--out docs/presenter.png] [--lang pl] [--width 1280 --height 720]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
from playwright.async_api import async_playwright
from websockets.asyncio.client import ClientConnection, connect

from livepoll.polls import load_example

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
# Who picks what (option numbers, 1-based) in the example question: 14 people, several choices each.
BALLOTS = [
    [1, 3, 9], [1, 2], [3, 7, 9], [1, 3, 4, 9], [6, 7], [1, 9], [3, 5, 8], [1, 4, 7, 9], [2, 6], [1, 3, 9],
    [4, 5], [3, 7], [1, 8, 9], [3, 9],
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(port: int, admin_token: str) -> Iterator[str]:
    data_dir = tempfile.mkdtemp(prefix="livepoll-screenshot-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEPOLL_")}
    env.update(
        LIVEPOLL_DATA_DIR=data_dir, LIVEPOLL_ADMIN_TOKEN=admin_token, LIVEPOLL_SECRET=secrets.token_urlsafe(16)
    )
    command = [sys.executable, "-m", "livepoll", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"livepoll exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("livepoll did not start within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.asynccontextmanager
async def voters(base: str, code: str, question_id: str, option_ids: list[str]) -> AsyncIterator[None]:
    """Participants connected over the WebSocket (they count as connected while the photo is taken)."""
    async with contextlib.AsyncExitStack() as stack:
        sockets: list[ClientConnection] = []
        for ballot in BALLOTS:
            ws = await stack.enter_async_context(connect(base.replace("http", "ws") + f"/ws/v1/sessions/{code}"))
            sockets.append(ws)
            await ws.recv()  # the state message
            ref = secrets.token_hex(4)
            choices = [option_ids[n - 1] for n in ballot]
            await ws.send(json.dumps({"type": "vote", "question": question_id, "choices": choices, "ref": ref}))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("ref") == ref:
                    if reply["type"] != "ack":
                        raise RuntimeError(f"vote refused: {reply}")
                    break
        yield


async def take(out: Path, lang: str, width: int, height: int) -> None:
    admin_token = secrets.token_urlsafe(16)
    with running_server(free_port(), admin_token) as base:
        example = load_example()
        body = {"title": example.title, "questions": [
            {"kind": "choice", "text": d.text, "options": list(d.options), "max_choices": d.max_choices}
            for d in example.drafts
        ]}
        async with httpx.AsyncClient(base_url=base) as client:
            headers = {"Authorization": f"Bearer {admin_token}"}
            created = await client.post("/api/v1/sessions", json=body, headers=headers)
            created.raise_for_status()
            session = created.json()
        question = session["questions"][0]
        option_ids = [o["id"] for o in question["options"]]
        async with voters(base, session["code"], question["id"], option_ids), async_playwright() as driver:
            browser = await driver.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            try:
                context = await browser.new_context(
                    viewport={"width": width, "height": height}, device_scale_factor=1.5, locale=lang,
                    reduced_motion="reduce",
                )
                page = await context.new_page()
                await page.goto(f"{base}/present/{session['code']}?key={session['host_key']}&lang={lang}")
                await page.wait_for_function(
                    f"() => /{len(BALLOTS)}/.test(document.querySelector('#voters').textContent)"
                    " && !/–/.test(document.querySelector('#participants').textContent)",
                    timeout=10_000,
                )
                await page.wait_for_timeout(300)
                out.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(out))
            finally:
                await browser.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "presenter.png")
    parser.add_argument("--lang", default="pl", choices=["pl", "uk", "en"])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    asyncio.run(take(args.out, args.lang, args.width, args.height))


if __name__ == "__main__":
    main()
