"""Regenerate docs/figures: each figure is the output of the command shown beside it in the docs.

    python scripts/make_doc_figures.py          # all figures into docs/figures
    python scripts/make_doc_figures.py --list   # print the commands only

The commands are those of docs/cpz2017.md (the paper's Fig. 4 with its choices and with mudump's
defaults) and docs/constraints.md. The first run computes the production tables (minutes); later runs use the cache.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"

#: file name -> the mudump arguments that draw it (as printed in the docs, with --plot added)
COMMANDS = {
    "cpz2017-fig4a-paper.png": "reach cpz2017-na64 cpz2017-fnal --model A --method iww --method etl --preset cpz2017",
    "cpz2017-fig4b-paper.png": "reach cpz2017-na64 cpz2017-fnal --model B --method iww --method etl --preset cpz2017",
    "cpz2017-fig4a-default.png": "reach cpz2017-na64 cpz2017-fnal --model A --preset cpz2017 --compare iww",
    "cpz2017-fig4b-default.png": "reach cpz2017-na64 cpz2017-fnal --model B --preset cpz2017 --compare iww",
    # docs/constraints.md: the L_mu - L_tau recast of NA64-mu 2022 with the published constraints
    "lmutau-na64mu-2022.png": "reach na64mu-2022 --model lmu-ltau --preset fnal2021",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="print the commands, run nothing")
    ap.add_argument("--out", type=Path, default=FIGURES, help="output folder (default docs/figures)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, command in COMMANDS.items():
        argv = [sys.executable, "-m", "mudump.cli", *shlex.split(command), "--plot", str(args.out / name)]
        print("mudump", command, "--plot", args.out / name, flush=True)
        if not args.list:
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
