"""The project check in a child process of the app server: ``python -m ui.check_child IN OUT``.

Reads ``(path, scope)`` pickled in the file IN, checks the saved version at ``path`` narrowed to
``scope`` (``geo.validate.check_project``; scope None: the whole project) and writes
``(revision, findings)`` pickled to the file OUT, at the lowest CPU priority. No Streamlit here:
the server's background build (``ui.cached``) starts it so the seconds of the check never hold
the server's interpreter lock while planners click. A project that cannot be read writes
``(None, None)``: the page that needs it says why.
"""
from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path


def check_saved_version(path: str, scope) -> tuple[int, object]:
    """``(revision, findings)`` of the saved version at ``path`` narrowed to ``scope`` (None: the whole project)."""
    from geo.access import scoped
    from geo.project import load_project
    from geo.validate import check_project

    project = load_project(path)
    project = project if scope is None else scoped(project, scope)
    return project.revision, check_project(project)


def main(argv: list[str]) -> int:
    """Check the project named in ``argv[0]``'s pickle and write the result to ``argv[1]``."""
    from geo.errors import GeoInputError

    path, scope = pickle.loads(Path(argv[0]).read_bytes())
    try:
        result = check_saved_version(path, scope)
    except GeoInputError:
        result = (None, None)
    out = Path(argv[1])
    if not out.parent.is_dir():  # the server stopped meanwhile (its temporary folder went with it): nobody waits
        return 0
    out.write_bytes(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    os.nice(19)  # the server's runs and the planners' browsers on the same cores go first
    sys.exit(main(sys.argv[1:]))
