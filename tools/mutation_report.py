"""Summarise a mutmut run: the score per module and every surviving mutant with its kind and reason.

Reads what ``mutmut run`` left under ``mutants/`` (each module's ``.meta`` file of exit codes
and the mutated module, which holds every mutant as a function beside the original) and
prints Markdown: a table per module, then each survivor as one line with its change and the
reason it survives, from a few kinds recognised in the change itself (docs/mutation.md
explains them), or from ``docs/mutation-reasons.tsv``: one line per mutant judged by hand,
``name<TAB>equivalent|no test<TAB>reason``, which wins over the kinds. An *equivalent* mutant
behaves the same for every input; the score leaves those out. A survivor of no known kind and
no line of its own is listed as "not classified"; a line whose mutant no longer survives is
listed as stale.

    .venv/bin/python tools/mutation_report.py > docs/mutation-survivors.md
"""
from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from mutmut.stats import status_by_exit_code  # mutmut's reading of a mutant's exit code

COLUMN = {"killed": "killed", "segfault": "killed", "timeout": "timeout", "survived": "survived",
          "no tests": "no tests", "not checked": "not run"}


@dataclass(frozen=True)
class Kind:
    """A kind of surviving mutant: how to recognise its change, and why it survives."""

    name: str
    reason: str
    equivalent: bool
    test: object  # (mutant's name, old line, new line) -> bool


def _same_but_numbers(old: str, new: str) -> bool:
    strip = lambda s: re.sub(r"[-+]?\d+(\.\d+)?(e-?\d+)?", "N", s)  # noqa: E731
    return old != new and strip(old) == strip(new)


# how a checker builds its test data: points, sizes, seeds, test models
_TEST_DATA = re.compile(r"_t\(\[|_randn\(|torch\.(tensor|rand|randn|randint|empty|linspace)\(|manual_seed\(|"
                        r"nn\.(Linear|BatchNorm1d|Sequential)\(|^values = \[|^for \w+(, \w+)* in \(\(")


def _only_strings_differ(old: str, new: str) -> bool:
    strings = re.compile(r"(\"[^\"]*\"|'[^']*')")
    return old != new and strings.sub("S", old) == strings.sub("S", new)


def _unseeded(key: str, old: str, new: str) -> bool:
    if ".exercises." not in key:
        return False
    dropped = re.search(r"generator=\w+", old) is not None and (
        "generator=None" in new or "generator" not in new)
    return dropped or re.fullmatch(r"(g|gen|rng) = None", new) is not None


def _message(key: str, old: str, new: str) -> bool:
    return _only_strings_differ(old, new) or "CheckFailed(None)" in new or "Error(None)" in new


def _device(key: str, old: str, new: str) -> bool:
    return "device" in old and ("device=None" in new or new.count("device") < old.count("device")
                                or "str(None)" in new)


def _checker_data(key: str, old: str, new: str) -> bool:
    if _same_but_numbers(old, new):
        return True
    return ".exercises." in key and _TEST_DATA.search(old) is not None and not _device(key, old, new)


KINDS = [
    Kind("verbose None", "`verbose=None` for `verbose=False`: None is falsy, as False is", True,
         lambda key, old, new: "verbose=False" in old and new == old.replace("verbose=False", "verbose=None")),
    Kind("bool mask dtype", "a boolean mask's `.to(dtype)` dropped: bool times a float tensor promotes "
         "to that float anyway", True,
         lambda key, old, new: re.search(r"[<>] [01]\)\.to\(\w+\.dtype\)", old) is not None and ".to(None)" in new),
    Kind("unseeded points", "a checker's points drawn without its generator: other points, the same "
         "verdicts for right and wrong answers", False, _unseeded),
    Kind("checker point", "a checker's test data changed (a point, a size, a seed, a test model, their "
         "dtype): the check stays valid and no plausible wrong answer is right only at the old data",
         False, _checker_data),
    Kind("message text", "the text of a message changed (case, a label, a detail): what matters in it "
         "(which value, which input, which tolerance) is pinned by tests", False, _message),
    Kind("device", "only the device changes: the same on a CPU-only machine", False, _device),
]


VERDICTS = {"equivalent": True, "no test": False}


def read_reasons(path: Path) -> dict[str, Kind]:
    """The hand-made verdicts of ``path`` as one-mutant kinds, by mutant name ({} without the file)."""
    if not path.exists():
        return {}
    reasons = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[1] not in VERDICTS or not fields[2].strip():
            raise ValueError(f"{path}:{number}: expected 'name<TAB>equivalent|no test<TAB>reason', got {line!r}")
        name, verdict, reason = fields
        if name in reasons:
            raise ValueError(f"{path}:{number}: {name} has a line already")
        reasons[name] = Kind(verdict, reason.strip(), VERDICTS[verdict], lambda key, old, new: True)
    return reasons


def classify(key: str, old: str, new: str) -> Kind | None:
    """The first kind whose test recognises mutant ``key``'s change ``old`` -> ``new``, or ``None``."""
    for kind in KINDS:
        if kind.test(key, old, new):
            return kind
    return None


def _functions(source: str) -> dict[str, list[str]]:
    lines = source.splitlines()
    return {node.name: lines[node.lineno - 1:node.end_lineno]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _change(functions: dict[str, list[str]], mutant: str) -> tuple[str, str]:
    """The lines a mutant changed, old and new, each joined into one line."""
    original = functions.get(mutant.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", [])[1:]
    changed = functions.get(mutant, [])[1:]
    diff = [d for d in difflib.unified_diff(original, changed, lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("---", "+++"))]
    join = lambda sign: " ".join(d[1:].strip() for d in diff if d.startswith(sign))  # noqa: E731
    return join("-"), join("+")


def collect(mutants: Path, reasons: dict[str, Kind] | None = None
            ) -> tuple[dict[str, Counter], list[tuple[str, str, str, Kind | None]]]:
    """Counts per module (killed, survived, timeout, no tests, not run) and the survivors."""
    reasons = reasons or {}
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = ".".join(meta.relative_to(mutants).with_suffix("").with_suffix("").parts)
        functions = _functions(meta.with_suffix("").read_text(encoding="utf-8"))
        for key, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            column = COLUMN.get(status_by_exit_code[code], status_by_exit_code[code])
            if column == "survived":
                old, new = _change(functions, key.rsplit(".", 1)[1])
                kind = reasons.get(key) or classify(key, old, new)
                column = "equivalent" if kind and kind.equivalent else "survived"
                survivors.append((key, old, new, kind))
            counts[module][column] += 1
    return counts, survivors


def score(c: Counter) -> str:
    """Killed (timeouts included) over the mutants run that are not equivalent."""
    caught = c["killed"] + c["timeout"]
    total = caught + c["survived"]
    return f"{100 * caught / total:.1f} %" if total else "-"


def report(counts: dict[str, Counter], survivors: list[tuple[str, str, str, Kind | None]],
           reasons: dict[str, Kind] | None = None) -> str:
    """The Markdown summary: per-module table, kinds, then one line per survivor."""
    reasons = reasons or {}
    out = ["# Survivors of the last mutmut run", "",
           "Made by `tools/mutation_report.py` (docs/mutation.md says how to read it).", "",
           "| module | killed | timeout | survived | equivalent | no tests | not run | score |",
           "|---|---|---|---|---|---|---|---|"]
    total: Counter = Counter()
    for module, c in sorted(counts.items()):
        total.update(c)
        out.append(f"| {module} | {c['killed']} | {c['timeout']} | {c['survived']} | {c['equivalent']} "
                   f"| {c['no tests']} | {c['not run']} | {score(c)} |")
    out.append(f"| **all** | {total['killed']} | {total['timeout']} | {total['survived']} "
               f"| {total['equivalent']} | {total['no tests']} | {total['not run']} | **{score(total)}** |")
    kinds = Counter(k.name if k else "not classified" for *_, k in survivors)
    out += ["", "| kind | survivors | equivalent | reason |", "|---|---|---|---|"]
    for kind in KINDS:
        out.append(f"| {kind.name} | {kinds[kind.name]} | {'yes' if kind.equivalent else 'no'} | {kind.reason} |")
    for verdict, equivalent in VERDICTS.items():
        out.append(f"| {verdict} | {kinds[verdict]} | {'yes' if equivalent else 'no'} "
                   "| judged one by one (docs/mutation-reasons.tsv): see each line |")
    out.append(f"| not classified | {kinds['not classified']} | no | none given yet |")
    out += ["", "## Every survivor", ""]
    for key, old, new, kind in survivors:
        shorten = lambda s: (s[:117] + "...") if len(s) > 120 else s  # noqa: E731
        own = f": {kind.reason}" if key in reasons else ""
        out.append(f"- `{key}` ({kind.name if kind else 'not classified'}{own}): "
                   f"`{shorten(old) or '(nothing)'}` -> `{shorten(new) or '(nothing)'}`")
    stale = sorted(set(reasons) - {key for key, *_ in survivors})
    if stale:
        out += ["", "## Stale lines of docs/mutation-reasons.tsv (their mutants no longer survive)", ""]
        out += [f"- `{key}`" for key in stale]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the report of the run under ``--mutants`` (default: ``mutants/``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's working folder")
    parser.add_argument("--reasons", type=Path, default=Path("docs/mutation-reasons.tsv"),
                        help="verdicts on single mutants: name<TAB>equivalent|no test<TAB>reason")
    args = parser.parse_args(argv)
    if not (args.mutants / "course_utils").is_dir():
        print(f"no mutmut run under {args.mutants}/ (run: GIT_CEILING_DIRECTORIES=$PWD mutmut run)",
              file=sys.stderr)
        return 1
    reasons = read_reasons(args.reasons)
    sys.stdout.write(report(*collect(args.mutants, reasons), reasons))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
