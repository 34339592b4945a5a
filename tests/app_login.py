"""Sign a test in: one helper for AppTest (``signed_in``) and one for the browser (tests/browser/server.py).

``signed_in(at)`` puts an account and its scope in the AppTest's session state, exactly what the
login page stores after ``geo.accounts.authenticate`` succeeds (tests/test_login.py drives the
form itself); every page then runs as that user, and audit rows name it.
"""
from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from geo.access import ADMIN
from geo.accounts import User
from ui import state

TEST_USER = "tester"


def signed_in(at: AppTest, *, name: str = TEST_USER, role: str = ADMIN, level: str | None = None,
              code: str | None = None) -> AppTest:
    """``at`` with ``name`` signed in as ``role`` (of unit ``level``/``code``); returns ``at``."""
    user = User(name=name, role=role, level=level, code=code)
    at.session_state[state.ACCOUNT] = user
    at.session_state[state.SCOPE] = user.scope
    at.session_state[state.LAST_SEEN] = time.time()
    at.session_state[state.ACCOUNT_CHECKED] = float("inf")  # a test account is not in the store: never read back
    return at
