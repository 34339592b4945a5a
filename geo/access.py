"""Who may see and change what: roles scoped to a unit (issue #15).

A signed-in user acts within one ``Scope``: a role and the unit it covers. The scope is
enforced here in ``geo/`` (every load, query, export, print and roll-up goes through it), not
only by hiding buttons in the app.

==============  ==========================  =============  ==============================
role            unit                        may edit       may ask for unmasked personal data
==============  ==========================  =============  ==============================
``admin``       the whole project           yes            yes (logged), manages accounts
``city``        the whole project           yes            yes (logged)
``town``        one town (镇街)              inside it      yes (logged)
``community``   one community (社区/村)      inside it      yes (logged)
``viewer``      any one unit or all         no             no
==============  ==========================  =============  ==============================
"""
from __future__ import annotations

from dataclasses import dataclass

ADMIN, CITY, TOWN, COMMUNITY, VIEWER = "admin", "city", "town", "community", "viewer"
ROLES = (ADMIN, CITY, TOWN, COMMUNITY, VIEWER)
UNIT_LEVELS = ("town", "community")  # the levels a scope may be limited to; None = the whole project
_EDITORS = (ADMIN, CITY, TOWN, COMMUNITY)


@dataclass(frozen=True)
class Scope:
    """A user's role and the unit it covers (``level``/``code`` None: the whole project)."""

    role: str
    level: str | None = None
    code: str | None = None
    user: str = ""

    @property
    def whole_project(self) -> bool:
        """Whether the scope covers every unit of the project."""
        return self.level is None

    @property
    def can_edit(self) -> bool:
        """Whether the role may change anything (inside its unit)."""
        return self.role in _EDITORS

    @property
    def can_unmask(self) -> bool:
        """Whether the role may ask for unmasked names, phones and ID numbers (each access logged)."""
        return self.role in _EDITORS

    @property
    def is_admin(self) -> bool:
        """Whether the role manages accounts and reads the access log."""
        return self.role == ADMIN


LOCAL = Scope(role=ADMIN, user="")  # the command line on the planner's own machine: the whole project
