"""Debian's headless Chromium for the browser tests (Playwright's own browser download is never used)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

from playwright import async_api as playwright_api

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
LAUNCH_TIMEOUT_MS = 30_000


def executable() -> str:
    return os.environ.get("LIVEPOLL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A launched Chromium, closed on the way out (a fixture yields it for one test or one module)."""
    async with playwright_api.async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=executable(), args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        try:
            yield launched
        finally:
            await launched.close()
