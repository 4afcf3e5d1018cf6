"""Write the raw data of the load before the last one, for the Spark incremental step of
`make spark-check`: a copy of a raw folder without the subscription items that start on
or after a given month (as if that month's items had not arrived yet).
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path


def main(raw_dir: Path, out_dir: Path, first_month: str) -> None:
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.copytree(raw_dir, out_dir)
    with (raw_dir / "subscription_items.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    earlier = [row for row in rows if row["valid_from"] < first_month]
    with (out_dir / "subscription_items.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(earlier)
    print(f"{out_dir}: {len(rows) - len(earlier)} of {len(rows)} subscription items left out")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
