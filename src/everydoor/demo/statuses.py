"""The demo's certificates and list statuses: what the dated support rules read (docs/formats.md).

- certificates.csv: a poor certificate for every household with an HN card holder, a
  near-poor one for a household with a CN holder; both under the 2022-2025 poverty standard, so they end
  on 2025-12-31 (the new standard's lists are not out yet on the demo's date).
- area_statuses.csv: the rural communes where most residents belong to an ethnic minority are on the
  especially-difficult list of 2021-2025; the ones the generator declassifies left it on 2024-12-31
  (their DK cards are renewed as GD from 2025-01-01, demo/cards.py); the others stay.

Derived from the generated people without drawing from the generator's random stream: every other
file (and every calibrated figure) stays as it was.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from everydoor.demo import cards

STANDARD_FROM = dt.date(2022, 1, 1)
STANDARD_TO = dt.date(2025, 12, 31)  # the 2022-2025 poverty standard (Decree 07/2021/NĐ-CP)
LIST_FROM = dt.date(2021, 6, 4)  # Decision 861/QĐ-TTg: communes of zone III, 2021-2025
LEFT_ON = cards.RECLASSIFIED_FROM - dt.timedelta(days=1)
LIST_SOURCE = "Quyết định 861/QĐ-TTg (2021-2025)"
LEFT_SOURCE = "Quyết định 861/QĐ-TTg; rời danh sách 31/12/2024 (quyết định giả lập của bản demo)"
DIFFICULT_MINORITY_SHARE = 0.55  # as demo/generate.py marks a commune difficult


def certificates_frame(people: pl.DataFrame, communes: pl.DataFrame) -> pl.DataFrame:
    kind = pl.when(pl.col("group") == "HN").then(pl.lit("poor")).when(pl.col("group") == "CN").then(pl.lit("near_poor"))
    held = (
        people.with_columns(kind=kind).filter(pl.col("kind").is_not_null())
        .group_by("household_idx").agg(pl.col("kind").sort_by(pl.col("kind") != "poor").first(), pl.col("commune_idx").first())  # poor wins
        .join(communes.select("commune_idx", "commune_code"), on="commune_idx", how="left")
    )
    return held.sort("household_idx").select(
        household_code=pl.concat_str([pl.lit("HK"), pl.col("household_idx").cast(pl.String).str.zfill(8)]),
        kind="kind", valid_from=pl.lit(STANDARD_FROM.isoformat()), valid_to=pl.lit(STANDARD_TO.isoformat()),
        number=pl.concat_str([pl.col("commune_code"), pl.lit("/"),
                              pl.when(pl.col("kind") == "poor").then(pl.lit("HN")).otherwise(pl.lit("HCN")),
                              pl.lit("/2022/"), pl.col("household_idx").cast(pl.String)]),
    )


def area_statuses_frame(communes: pl.DataFrame, profiles: np.ndarray, declassified: np.ndarray) -> pl.DataFrame:
    difficult = ((communes["kind"] == "Xã").to_numpy() & (1 - profiles[:, 0] > DIFFICULT_MINORITY_SHARE)) | declassified
    listed = communes.with_columns(declassified=pl.Series(declassified)).filter(pl.Series(difficult))
    return listed.sort("commune_code").select(
        commune="commune_code", status=pl.lit("especially_difficult"), effective_from=pl.lit(LIST_FROM.isoformat()),
        effective_to=pl.when(pl.col("declassified")).then(pl.lit(LEFT_ON.isoformat())),
        source=pl.when(pl.col("declassified")).then(pl.lit(LEFT_SOURCE)).otherwise(pl.lit(LIST_SOURCE)),
    )


def write_statuses(out_dir: Path, people: pl.DataFrame, communes: pl.DataFrame, profiles: np.ndarray,
                   declassified: np.ndarray) -> dict:
    certificates = certificates_frame(people, communes)
    statuses = area_statuses_frame(communes, profiles, declassified)
    certificates.write_csv(out_dir / "certificates.csv")
    statuses.write_csv(out_dir / "area_statuses.csv")
    return {"certificate_rows": certificates.height, "area_status_rows": statuses.height,
            "communes_leaving": statuses.filter(pl.col("effective_to").is_not_null()).height}
