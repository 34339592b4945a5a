"""``python -m cli demo --out build/demo.gpkg``: build the bundled Chongzhou demo project file."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from geo import schema as s
from geo.demo import write_demo_project
from geo.messages import t
from geo.outputs import OutputRefusedError, is_project_file, keep_backup

NAME = "demo"
HELP = "demo.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Options of the ``demo`` subcommand."""
    parser.add_argument("--out", default="build/demo.gpkg", help=t("demo.out", lang))
    parser.add_argument("--bare", action="store_true", help=t("demo.bare", lang))
    parser.add_argument("--replace", action="store_true", help=t("output.arg.replace", lang))


def run(args: argparse.Namespace, lang: str) -> int:
    """Write the demo project; print what it holds."""
    start = time.perf_counter()
    out = Path(args.out)
    if is_project_file(out) and not args.replace:
        msg = f"{out} is already a GridAtlas project"
        raise OutputRefusedError(msg, code="demo.exists_project", file=str(out), stem=out.stem)
    backup = keep_backup(out) if args.replace else None
    project = write_demo_project(out, analyse=not args.bare)
    grids = project.layers[s.GRIDS]
    counts = {
        "towns": len(project.layers[s.TOWNS]), "communities": len(project.layers[s.COMMUNITIES]),
        "general": int((grids[s.LEVEL] == s.LEVEL_GENERAL).sum()),
        "micro": int((grids[s.LEVEL] == s.LEVEL_MICRO).sum()),
        "dedicated": int((grids[s.LEVEL] == s.LEVEL_DEDICATED).sum()),
        "buildings": len(project.layers[s.HOUSEHOLDS]),
        "households": int(project.layers[s.HOUSEHOLDS][s.HOUSEHOLDS_N].sum()),
        "volunteers": len(project.layers[s.VOLUNTEERS]),
        "points": len(project.layers[s.SERVICE_POINTS]),
    }
    print(t("demo.done", lang, file=args.out, seconds=f"{time.perf_counter() - start:.1f}", **counts))
    print(t("demo.illustrative", lang))
    if backup:
        print(t("output.backup", lang, file=str(backup)))
    return 0
