"""Run one fuzz case: in-process through ``cli.main.main``, or in a subprocess with a timeout and memory cap.

``python -m tests.fuzz.harness [--all|--sample] [--jobs N]`` runs the corpus and prints the figures the
issue asks for (cases, exit codes, tracebacks, hangs, peak memory).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.corpus import Case, corpus

ROOT = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 30.0  # per case (and per command of a case)
HANG_TIMEOUT_S = 60.0  # a subprocess still running after this is killed and counted as a hang
MEMORY_CAP_MB = 1500  # peak RSS of an isolated case (the CLI process itself is ~300 MB)
ADDRESS_SPACE_MB = 4096  # RLIMIT_AS of the subprocess: a runaway reader fails instead of swapping
ALLOWED_EXITS = (0, 1, 2)


@dataclass
class Result:
    """What one command of a case did."""

    case: str
    argv: list[str]
    code: int
    seconds: float
    out: str
    err: str
    peak_mb: float = 0.0
    hung: bool = False

    @property
    def traceback(self) -> bool:
        return self.code == 3 or "Traceback (most recent call last)" in self.err + self.out

    def problems(self, case: Case) -> list[str]:
        """Why this result breaks the contract (empty when it keeps it)."""
        why = []
        if self.hung:
            why.append(f"hung (killed after {HANG_TIMEOUT_S:.0f} s)")
        if self.code not in ALLOWED_EXITS and not self.hung:
            why.append(f"exit {self.code}")
        if self.traceback:
            why.append("traceback")
        if self.seconds > TIME_LIMIT_S:
            why.append(f"{self.seconds:.1f} s > {TIME_LIMIT_S:.0f} s")
        if self.peak_mb > MEMORY_CAP_MB:
            why.append(f"peak {self.peak_mb:.0f} MB > {MEMORY_CAP_MB} MB")
        return why


def case_problems(case: Case, results: list[Result]) -> list[str]:
    """Every broken promise of a case: per command, then "nothing silent" over all its output."""
    why = [f"{' '.join(r.argv[2:4])}: {p}" for r in results for p in r.problems(case)]
    text = "".join(r.out + r.err for r in results)
    if results[0].code in (0, 1):
        why += [f"silent: output does not mention {word!r}" for word in case.mention if word not in text]
    return why


@contextlib.contextmanager
def _env(extra: dict[str, str]):
    old = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_inprocess(case: Case, argv: list[str]) -> Result:
    """``cli.main.main(argv)`` with stdout/stderr captured."""
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with _env(case.env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return Result(case.name, argv, code, time.perf_counter() - started, out.getvalue(), err.getvalue())


def _limit_memory() -> None:
    cap = ADDRESS_SPACE_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_subprocess(case: Case, argv: list[str], folder: Path) -> Result:
    """``python -m cli argv`` with a timeout, RLIMIT_AS and the child's own peak RSS (``os.wait4``)."""
    env = {**os.environ, **case.env, "PYTHONPATH": str(ROOT), "GRIDATLAS_LOG_DIR": str(folder / "logs")}
    out_path, err_path = folder / ".stdout", folder / ".stderr"
    started = time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "cli", *argv], cwd=ROOT, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, preexec_fn=_limit_memory)
        hung = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > HANG_TIMEOUT_S:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                hung = True
                break
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Result(case.name, argv, proc.returncode, time.perf_counter() - started,
                  out_path.read_text(errors="replace"), err_path.read_text(errors="replace"),
                  peak_mb=usage.ru_maxrss / 1024, hung=hung)


def run_case(case: Case, folder: Path) -> list[Result]:
    """Build the case in ``folder`` and run it; then ``check`` the project an import produced."""
    argv = case.build(folder)
    results = [run_subprocess(case, argv, folder) if case.isolate else run_inprocess(case, argv)]
    project = folder / "project.gpkg"
    if case.then_check and results[0].code in (0, 1) and project.is_file() and "import" in argv:
        check = ["--lang", "en", "check", str(project)]
        results.append(run_subprocess(case, check, folder) if case.isolate else run_inprocess(case, check))
    return results


# classes the default (fast) run always covers; the rest of the sample is spread over the other classes
SAMPLE_CLASSES = ("input_fifo", "input_device", "input_directory", "coords_swapped", "coords_infinite", "coords_huge",
                  "zip_bad_crc", "zip_encrypted", "zip_deflate64", "json_deep", "xlsx_dtd", "csv_bom_gbk",
                  "csv_5000_columns", "zip_cpg_lies", "crs_unknown", "out_under_file", "feature_type_unknown",
                  "xlsx_second_sheet", "codes_as_text", "control_chars", "xlsx_formula", "names_hostile_output")


def fast_sample(cases: list[Case], *, size: int = 40) -> list[Case]:
    """About ``size`` cases: the first case of each of ``SAMPLE_CLASSES``, then the first of other classes, spread.

    Isolated (subprocess) cases are left out except the FIFO and device ones, which are quick when guarded.
    """
    first: dict[str, Case] = {}
    for case in cases:
        if not case.isolate or case.cls in ("input_fifo", "input_device"):
            first.setdefault(case.cls, case)
    chosen = [first[c] for c in SAMPLE_CLASSES if c in first]
    rest = [c for cls, c in first.items() if cls not in SAMPLE_CLASSES]
    room = max(size - len(chosen), 0)
    step = max(len(rest) / room, 1.0) if room else 1.0
    chosen += [rest[int(i * step)] for i in range(min(room, len(rest)))]
    return chosen


def _summary(rows: list[tuple[Case, list[Result]]]) -> str:
    codes: dict[int, int] = {}
    for _, results in rows:
        codes[results[0].code] = codes.get(results[0].code, 0) + 1
    tracebacks = [c.name for c, rs in rows if any(r.traceback for r in rs)]
    hangs = [c.name for c, rs in rows if any(r.hung or r.seconds > TIME_LIMIT_S for r in rs)]
    broken = [(c.name, p) for c, rs in rows if (p := case_problems(c, rs))]
    peak = max((r.peak_mb for _, rs in rows for r in rs), default=0.0)
    slowest = max(((r.seconds, c.name) for c, rs in rows for r in rs), default=(0.0, ""))
    lines = [f"cases: {len(rows)} ({len({c.cls for c, _ in rows})} classes)",
             f"exit codes (first command): {dict(sorted(codes.items()))}",
             f"tracebacks / exit 3: {len(tracebacks)} {tracebacks[:20]}",
             f"hangs or > {TIME_LIMIT_S:.0f} s: {len(hangs)} {hangs[:10]}",
             f"slowest: {slowest[0]:.1f} s ({slowest[1]})",
             f"peak RSS of isolated cases: {peak:.0f} MB (cap {MEMORY_CAP_MB} MB); "
             f"this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
             f"contract broken: {len(broken)}"]
    lines += [f"  {name}: {', '.join(p)}" for name, p in broken[:60]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the corpus (or the fast sample) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", action="store_true", help="the fast sample only")
    parser.add_argument("--only", default=None, help="cases whose name contains this")
    args = parser.parse_args(argv)
    cases = corpus()
    if args.sample:
        cases = fast_sample(cases)
    if args.only:
        cases = [c for c in cases if args.only in c.name]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gridatlas-fuzz-") as tmp:
        for k, case in enumerate(cases):
            folder = Path(tmp) / f"{k:04d}"
            folder.mkdir()
            try:
                rows.append((case, run_case(case, folder)))
            finally:
                for p in folder.rglob("*"):
                    with contextlib.suppress(OSError):
                        p.chmod(0o700) if p.is_dir() else None
                (Path(tmp) / f"{k:04d}").chmod(0o700)
            print(f"{k + 1}/{len(cases)} {case.name}: {[r.code for r in rows[-1][1]]} "
                  f"{rows[-1][1][0].seconds:.1f}s", file=sys.stderr, flush=True)
    print(_summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
