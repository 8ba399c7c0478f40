"""Random register frames (no database) in the shape columnar.load_frames returns."""

import datetime as dt

import numpy as np
import polars as pl

from everydoor.coverage import frames as fr

EPOCH = dt.date(1970, 1, 1)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype("int32")).cast(pl.Date)


def world_frames(seed: int, persons: int = 400, cards: int = 500, communes: int = 4, villages: int = 3,
                 field_corrections: float = 0.0) -> dict:
    rng = np.random.default_rng(seed)
    base = (dt.date(2023, 1, 1) - EPOCH).days
    commune_ids = np.arange(1, communes + 1)
    village_ids = np.arange(100, 100 + communes * villages)
    p_commune = rng.choice(commune_ids, persons)
    p_village = np.where(rng.random(persons) < 0.9, 100 + (p_commune - 1) * villages + rng.integers(0, villages, persons), -1)
    dob = (dt.date(1930, 1, 1) - EPOCH).days + rng.integers(0, 35000, persons)
    dob_known = rng.random(persons) < 0.85
    status = rng.choice(["resident", "resident", "resident", "moved_out", "deceased"], persons)
    status_days = base + rng.integers(0, 1100, persons)
    has_status_date = (status != "resident") | (rng.random(persons) < 0.3)
    dob_dates = _dates(dob)
    persons_df = pl.DataFrame({
        "person_id": np.arange(1, persons + 1),
        "dob": dob_dates, "dob_year": dob_dates.dt.year(), "dob_month": dob_dates.dt.month(),
        "dob_day": dob_dates.dt.day(),
        "sex": rng.choice(["M", "F", ""], persons), "ethnicity": rng.choice(["Mông", "Dao", "Kinh"], persons),
        "commune_id": p_commune, "village_id": p_village, "household_id": rng.integers(1, persons // 3 + 2, persons),
        "status": status, "status_date": _dates(status_days),
    }).with_columns(
        dob=pl.when(pl.Series(dob_known)).then(pl.col("dob")),
        dob_month=pl.when(pl.Series(dob_known)).then(pl.col("dob_month")),
        dob_day=pl.when(pl.Series(dob_known)).then(pl.col("dob_day")),
        village_id=pl.when(pl.col("village_id") > 0).then(pl.col("village_id")),
        status_date=pl.when(pl.Series(has_status_date)).then(pl.col("status_date")),
        # a share of the residents found gone at the door (campaign.field_review), on a random day
        field_status=pl.when(pl.Series(rng.random(persons) < field_corrections)).then(pl.lit("moved_away")),
        field_status_date=_dates(base + rng.integers(0, 1100, persons)),
    ).with_columns(
        field_status_date=pl.when(pl.col("field_status").is_not_null()).then(pl.col("field_status_date")),
    ).cast(fr.PERSON_SCHEMA)
    start = base + rng.integers(0, 1050, cards)
    linked = rng.random(cards) < 0.85
    holder = rng.integers(1, persons + 1, cards)
    own_commune = rng.random(cards)
    holder_commune = p_commune[holder - 1]
    c_commune = np.where(own_commune < 0.6, holder_commune, np.where(own_commune < 0.8, -1, rng.choice(commune_ids, cards)))
    groups = rng.choice(["DT", "DK", "TE", "HS", "GD", "DN"], cards)
    payer = pl.Series(groups).replace_strict({"DT": "state", "DK": "state", "TE": "state", "HS": "supported",
                                              "GD": "household", "DN": "employer"})
    cards_df = pl.DataFrame({
        "card_id": np.arange(1, cards + 1), "person_id": holder, "si_code": [f"{x:010d}" for x in holder],
        "group_code": groups, "payer_group": payer,
        "valid_from": _dates(start), "valid_to": _dates(start + rng.choice([89, 179, 364], cards)),
        "commune_id": c_commune, "dob_year": rng.integers(1940, 2024, cards), "dob_month": rng.integers(1, 13, cards),
        "dob_day": rng.integers(1, 29, cards), "sex": rng.choice(["M", "F"], cards),
    }).with_columns(
        person_id=pl.when(pl.Series(linked)).then(pl.col("person_id")),
        si_code=pl.when(pl.Series(linked) | (pl.Series(rng.random(cards)) < 0.5)).then(pl.col("si_code")).otherwise(pl.lit("")),
        commune_id=pl.when(pl.col("commune_id") > 0).then(pl.col("commune_id")),
    ).with_columns(
        # unlinked cards without a commune of their own would be placed nowhere: give them one
        commune_id=pl.when(pl.col("person_id").is_null() & pl.col("commune_id").is_null())
        .then(pl.lit(1)).otherwise(pl.col("commune_id"))
    ).cast(fr.CARD_SCHEMA)
    communes_df = pl.DataFrame({"commune_id": commune_ids, "commune_code": [f"C{i}" for i in commune_ids],
                                "province_code": ["15"] * communes}).cast(fr.COMMUNE_SCHEMA)
    villages_df = pl.DataFrame({"village_id": village_ids, "village_code": [f"V{i}" for i in village_ids]}).cast(fr.VILLAGE_SCHEMA)
    units_df = pl.DataFrame({"unit_code": ["U1", "U1"], "commune_id": [1, 2]}).cast(fr.UNIT_COMMUNE_SCHEMA)
    return {"persons": persons_df, "cards": cards_df, "communes": communes_df, "villages": villages_df,
            "unit_communes": units_df}
