"""Start `streamlit run app.py` on a free port for browser tests and screenshots; stop it afterwards.

The app asks every session to sign in (issue #15): ``streamlit_server`` makes sure the project has
the account ``BROWSER_USER`` (an admin), and ``sign_in(page, url)`` / ``sign_in_async`` open a URL
and fill the login form like a person would — the one way browser tests and benches get in.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_USER, BROWSER_PASSWORD = "browser", "browser-pass"
LOGIN_NAME, LOGIN_PASSWORD, LOGIN_SUBMIT = (".st-key-login_name input", ".st-key-login_password input",
                                            "[data-testid='stFormSubmitButton'] button")


def ensure_browser_account(project: str | Path, *, name: str = BROWSER_USER, password: str = BROWSER_PASSWORD,
                           role: str = "admin", code: str | None = None) -> None:
    """Add the account ``name`` to ``project`` unless it has it (the browser tests' sign-in)."""
    from geo.accounts import add_user, list_users

    if name not in [u.name for u in list_users(location=project)]:
        add_user(location=project, name=name, password=password, role=role, code=code)


def sign_in(page, url: str, *, name: str = BROWSER_USER, password: str = BROWSER_PASSWORD,
            timeout_ms: float = 60_000, reload: bool = True) -> None:
    """Open ``url`` (any page: it opens after sign-in) and sign in through the login form.

    ``reload=False``: the page already shows the login form (a walk timing the login page itself).
    """
    if reload:
        page.goto(url)
    page.locator(LOGIN_NAME).wait_for(timeout=timeout_ms)
    page.locator(LOGIN_NAME).fill(name)
    page.locator(LOGIN_PASSWORD).fill(password)
    page.locator(LOGIN_SUBMIT).click()
    page.locator(LOGIN_NAME).wait_for(state="detached", timeout=timeout_ms)


async def sign_in_async(page, url: str, *, name: str = BROWSER_USER, password: str = BROWSER_PASSWORD,
                        timeout_ms: float = 60_000) -> None:
    """``sign_in`` for Playwright's async API (bench.web_load)."""
    await page.goto(url)
    await page.locator(LOGIN_NAME).wait_for(timeout=timeout_ms)
    await page.locator(LOGIN_NAME).fill(name)
    await page.locator(LOGIN_PASSWORD).fill(password)
    await page.locator(LOGIN_SUBMIT).click()
    await page.locator(LOGIN_NAME).wait_for(state="detached", timeout=timeout_ms)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(project: Path, *, timeout_s: float = 60) -> Iterator[str]:
    """Run the app on 127.0.0.1 with ``project`` open (with ``BROWSER_USER``); yield its URL; dump the log on failure."""
    ensure_browser_account(project)
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
    env = {**os.environ, "GRIDATLAS_PROJECT": str(project)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                msg = f"streamlit did not start:\n{Path(log.name).read_text()}"
                raise RuntimeError(msg)
            time.sleep(0.3)
        yield url
    except BaseException:
        print(Path(log.name).read_text()[-5000:])
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
