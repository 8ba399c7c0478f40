"""Households and people of the demo province, with a year of births, deaths and moves."""

from __future__ import annotations

import numpy as np
import polars as pl

from everydoor.demo import names
from everydoor.demo.places import ETHNICITIES
from everydoor.demo.targets import AS_OF, YEAR_BEFORE

D1 = np.datetime64(AS_OF, "D")
D0 = np.datetime64(YEAR_BEFORE, "D")
# Extra household size (beyond the head) by ethnicity: minority households are larger.
_EXTRA_MEMBERS = {"Kinh": 2.4, "Tày": 2.9, "Thái": 2.9, "Giáy": 2.9, "Nùng": 3.0, "Mường": 2.8}
_MINORITY_EXTRA = 3.9
# Birth-registration provinces of people born elsewhere (pre-2025 codes, DOMAIN.md).
OTHER_PROVINCES = np.array([2, 8, 25, 14, 12, 11, 1, 38, 36, 34, 19, 33, 37, 40])
RELATIONS = np.array(["Chủ hộ", "Vợ", "Chồng", "Con", "Cháu", "Bố", "Mẹ"])


def _households(people: np.ndarray, profiles: np.ndarray, villages: pl.DataFrame,
                rng: np.random.Generator) -> pl.DataFrame:
    """Enough households per commune to hold its people (the last one is cut to fit)."""
    extra = np.array([_EXTRA_MEMBERS.get(e, _MINORITY_EXTRA) for e in ETHNICITIES])
    village_lists = villages.group_by("commune_idx").agg(pl.col("village_idx")).sort("commune_idx")
    frames = []
    for c, need in enumerate(people):
        if need <= 0:
            continue
        count = int(need / 2.5) + 20
        ethnicity = rng.choice(len(ETHNICITIES), size=count, p=profiles[c])
        size = np.minimum(1 + rng.poisson(extra[ethnicity]), 13)
        total = np.cumsum(size)
        keep = int(np.searchsorted(total, need)) + 1
        size = size[:keep].copy()
        size[-1] -= int(total[keep - 1] - need)
        pool = np.asarray(village_lists["village_idx"][c].to_list())
        # Villages differ in size: draw with skewed weights.
        weights = rng.gamma(2.0, 1.0, len(pool))
        village = rng.choice(pool, size=keep, p=weights / weights.sum())
        frames.append(
            pl.DataFrame(
                {"commune_idx": np.full(keep, c), "ethnicity_idx": ethnicity[:keep],
                 "size": size, "village_idx": village}
            )
        )
    return pl.concat(frames).with_row_index("household_idx")


def build_people(people: np.ndarray, profiles: np.ndarray, villages: pl.DataFrame,
                 rng: np.random.Generator,
                 later: np.random.Generator) -> pl.DataFrame:
    """One row per person: household, relation, sex, birth date, ethnicity, name."""
    hh = _households(people, profiles, villages, rng)
    size = hh["size"].to_numpy()
    n_hh, n = hh.height, int(size.sum())
    hh_of = np.repeat(np.arange(n_hh), size)
    start = np.repeat(np.cumsum(size) - size, size)
    rank = np.arange(n) - start

    head_age = np.clip(rng.normal(44, 13, n_hh), 19, 92)
    head_male = rng.random(n_hh) < 0.82
    has_spouse = (size >= 2) & (head_age < 82) & (rng.random(n_hh) < 0.86)
    has_parent = (size >= 6) & (head_age < 52) & (rng.random(n_hh) < 0.35)

    h_age, h_male = head_age[hh_of], head_male[hh_of]
    spouse = (rank == 1) & has_spouse[hh_of]
    parent = (rank == size[hh_of] - 1) & (rank >= 2) & has_parent[hh_of]
    head = rank == 0
    child = ~(head | spouse | parent)
    child_age = h_age - rng.uniform(18, 42, n)
    grandchild = child & ((child_age < 0) | ((h_age > 58) & (rng.random(n) < 0.45)))
    age = np.where(head, h_age, 0.0)
    age = np.where(spouse, np.clip(h_age + rng.normal(-2.5, 4, n), 18, 95), age)
    age = np.where(parent, np.clip(h_age + rng.uniform(21, 34, n), 0, 99), age)
    age = np.where(child & ~grandchild, child_age, age)
    age = np.where(grandchild, np.clip(h_age - rng.uniform(40, 58, n), 0, None), age)
    age = np.where(grandchild & (age <= 0), rng.uniform(0, 10, n), age)

    male = np.where(head, h_male, rng.random(n) < 0.51)
    male = np.where(spouse, ~h_male, male)
    relation = np.where(head, 0, np.where(spouse, np.where(male, 2, 1), 3))
    relation = np.where(grandchild, 4, relation)
    relation = np.where(parent, np.where(male, 5, 6), relation)

    days = (age * 365.25).astype(np.int64) + rng.integers(0, 365, n)
    birth = D1 - days.astype("timedelta64[D]")
    # The year's births come later (assign_statuses): a child drawn as born after D0 is moved 2 to 5 years
    # earlier (still under 6). Moving them one year back doubled the cohort born in the year before D0, and
    # the registers' history then showed about 40% more births than the year after it (lapses.forecast's
    # pace of new enrolments); that cohort keeps its own size now, less the year's babies drawn from it.
    years_back = later.integers(2, 6, n) * 365
    birth = np.where(birth > D0, birth - years_back.astype("timedelta64[D]"), birth)

    ethnicity = hh["ethnicity_idx"].to_numpy()[hh_of]
    surname = names.draw_part(ethnicity, male, 0, ETHNICITIES, rng)
    # Children, grandchildren and the head's father carry the head's family name.
    head_pos = np.cumsum(size) - size
    family = surname.gather(head_pos[hh_of])
    inherit = pl.Series((child | grandchild | (parent & male)) & h_male)
    surname = pl.select(pl.when(inherit).then(family).otherwise(surname)).to_series()
    middle = names.draw_part(ethnicity, male, 1, ETHNICITIES, rng)
    given = names.draw_part(ethnicity, male, 2, ETHNICITIES, rng)

    frame = pl.DataFrame(
        {
            "household_idx": hh_of, "rank": rank, "relation": RELATIONS[relation],
            "male": male, "birth": birth, "ethnicity_idx": ethnicity,
            "surname": surname, "middle": middle, "given": given,
        }
    )
    frame = frame.join(hh.select("household_idx", "commune_idx", "village_idx"),
                       on="household_idx", how="left", maintain_order="left")
    return frame.with_columns(
        full_name=pl.concat_str(["surname", "middle", "given"], separator=" "),
        ethnicity=pl.col("ethnicity_idx").replace_strict(
            dict(enumerate(ETHNICITIES)), return_dtype=pl.String
        ),
    ).drop("surname", "middle", "given").with_row_index("person_idx")


def _pick(frame: pl.DataFrame, wanted: pl.DataFrame, column: str, score: pl.Expr) -> pl.Series:
    """person_idx of the `column` highest-scoring free people in each commune."""
    ranked = frame.filter(pl.col("category") == "stayer").with_columns(
        _rank=score.rank("ordinal", descending=True).over("commune_idx")
    ).join(wanted.select("commune_idx", pl.col(column).alias("_k")), on="commune_idx")
    return ranked.filter(pl.col("_rank") <= pl.col("_k"))["person_idx"]


def assign_statuses(people: pl.DataFrame, counts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Mark babies born, people deceased, moved out and moved in during the year."""
    n = people.height
    age = ((np.datetime64(AS_OF, "D") - people["birth"].to_numpy()).astype(np.int64) / 365.25)
    people = people.with_columns(
        category=pl.lit("stayer"), _age=pl.Series(age), _r=pl.Series(rng.random(n)),
    )
    plan = [
        ("baby", "babies", pl.col("_r") + (pl.col("_age") < 6).cast(pl.Float64) * 2
         + pl.col("relation").is_in(["Con", "Cháu"]).cast(pl.Float64)),
        ("deceased", "deceased", pl.col("_age") / 60 + pl.col("_r") * 0.8),
        ("moved_out", "moved_out", pl.col("_r") + pl.col("_age").is_between(18, 40).cast(pl.Float64)),
        ("mover_in", "movers_in", pl.col("_r") + pl.col("_age").is_between(18, 45).cast(pl.Float64)),
    ]
    for category, column, score in plan:
        chosen = _pick(people, counts, column, score)
        people = people.with_columns(
            category=pl.when(pl.col("person_idx").is_in(chosen.implode()))
            .then(pl.lit(category)).otherwise("category")
        )
    year_days = int((D1 - D0).astype(np.int64))
    event = D0 + rng.integers(1, year_days, n).astype("timedelta64[D]")  # up to 30 Oct
    cat = people["category"].to_numpy()
    birth = people["birth"].to_numpy()
    birth = np.where(cat == "baby", event, birth)
    status_date = np.where(np.isin(cat, ["deceased", "moved_out", "mover_in"]), event, np.datetime64("NaT"))
    status = np.select(
        [cat == "deceased", cat == "moved_out"], ["deceased", "moved_out"], "resident"
    )
    return people.with_columns(
        birth=pl.Series(birth), status=pl.Series(status), status_date=pl.Series(status_date),
    ).drop("_age", "_r")


def personal_ids(home_ppp: np.ndarray, birth_year: np.ndarray, male: np.ndarray,
                 rng: np.random.Generator, elsewhere_share: float = 0.06) -> np.ndarray:
    """12-digit IDs PPP G YY RRRRRR, unique: RRRRRR is an affine permutation within each prefix."""
    n = len(home_ppp)
    ppp = np.where(rng.random(n) < elsewhere_share,
                   OTHER_PROVINCES[rng.integers(0, len(OTHER_PROVINCES), n)], home_ppp)
    g = (birth_year // 100 - 19) * 2 + (~male).astype(np.int64)
    prefix = ppp * 1000 + g * 100 + birth_year % 100
    order = np.argsort(prefix, kind="stable")
    sorted_prefix = prefix[order]
    first = np.searchsorted(sorted_prefix, sorted_prefix, side="left")
    within = np.empty(n, dtype=np.int64)
    within[order] = np.arange(n) - first
    multiplier, offset = 390_617, int(rng.integers(0, 1_000_000))  # odd, not a multiple of 5
    serial = (within * multiplier + offset + prefix * 7919) % 1_000_000
    return (prefix * 1_000_000 + serial).astype(np.int64)
