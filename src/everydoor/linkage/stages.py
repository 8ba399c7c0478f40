"""The set-based steps of a link run, as SQL over one DuckDB connection (no Django here).

Tables expected on the connection: persons, cards (with address_key), links (card_id, person_id,
method), reviews (card_id, person_id, decision), villages. Each step creates tables for the next;
the hints and model inputs are made only for the cards in ``scope`` (those the model will see).
"""

import duckdb
import polars as pl

from everydoor.linkage.features import ID_VALID_SQL, id_agrees_sql, name_columns

# Groups of cards sharing an address larger than this are a village, not a household.
MAX_ADDRESS_GROUP = 20
# Two candidates of one card closer than this (match weight, log2 odds) are a tie.
TIE_MARGIN = 1.0


def exact_links(con: duckdb.DuckDBPyConnection) -> None:
    """id_links(card_id, person_id): valid, agreeing personal IDs held by exactly one resident."""
    con.execute(f"""
        CREATE OR REPLACE TABLE id_owner AS
        SELECT personal_id, min(person_id) AS person_id, count(*) AS n
        FROM persons WHERE {id_agrees_sql()} GROUP BY personal_id
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE id_links AS
        SELECT c.card_id, o.person_id
        FROM cards c JOIN id_owner o ON o.personal_id = c.personal_id AND o.n = 1
        WHERE {id_agrees_sql('c.')}
          AND c.card_id NOT IN (SELECT card_id FROM links)
          AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.decision = 'rejected'
                          AND r.card_id = c.card_id AND r.person_id = o.person_id)
    """)
    con.execute("""
        CREATE OR REPLACE TABLE all_links AS
        SELECT card_id, person_id, method FROM links
        UNION ALL SELECT card_id, person_id, 'personal_id' FROM id_links
    """)


def names(con: duckdb.DuckDBPyConnection) -> None:
    """names(full_name, name_lc, name_fold, name_sorted, name_phon): the forms of every distinct name.

    Residents and cards share few distinct names (tens of thousands for millions of records),
    so the string work runs once per name, not once per record."""
    distinct = con.sql("SELECT full_name FROM persons UNION SELECT full_name FROM cards").pl()
    forms = name_columns(distinct).with_columns(
        pl.col(c).replace("", None) for c in ("name_lc", "name_fold", "name_sorted", "name_phon"))
    con.register("names_arrow", forms.to_arrow())
    con.execute("CREATE OR REPLACE TABLE names AS SELECT * FROM names_arrow")
    con.unregister("names_arrow")


def hints(con: duckdb.DuckDBPyConnection) -> None:
    """card_hints(card_id, person_hint, hh_key, village_id) for the cards in ``scope``, from cards already linked.

    person_hint: another card with the same SI code is linked to that resident (SI code history).
    hh_key: another card at the same address is linked to a member of that household.
    village_id: the one village of the card's commune whose name appears in its address.
    """
    con.execute("""
        CREATE OR REPLACE TABLE si_hint AS
        SELECT c.card_id, min(l.person_id) AS person_hint
        FROM cards c JOIN scope USING (card_id)
        JOIN cards c2 ON c2.si_code = c.si_code AND c2.card_id <> c.card_id
        JOIN all_links l ON l.card_id = c2.card_id
        WHERE c.si_code IS NOT NULL
        GROUP BY c.card_id HAVING count(DISTINCT l.person_id) = 1
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE card_address AS
        WITH a AS (SELECT card_id, commune_id, address_key FROM cards
                   WHERE address_key IS NOT NULL AND commune_id IS NOT NULL),
        sized AS (SELECT *, count(*) OVER (PARTITION BY commune_id, address_key) AS n FROM a)
        SELECT card_id, commune_id, address_key FROM sized WHERE n <= {MAX_ADDRESS_GROUP}
    """)
    con.execute("""
        CREATE OR REPLACE TABLE hh_hint AS
        SELECT a.card_id, min(p.household_id) AS hh_key, min(p.village_id) AS hh_village_id
        FROM card_address a JOIN scope USING (card_id)
        JOIN card_address a2 ON a2.commune_id = a.commune_id AND a2.address_key = a.address_key
             AND a2.card_id <> a.card_id
        JOIN all_links l ON l.card_id = a2.card_id
        JOIN persons p ON p.person_id = l.person_id
        WHERE p.household_id IS NOT NULL
        GROUP BY a.card_id HAVING count(DISTINCT p.household_id) = 1
    """)
    # Matched once per distinct (commune, address), not once per card.
    con.execute("""
        CREATE OR REPLACE TABLE village_hint AS
        WITH addresses AS (SELECT DISTINCT c.commune_id, c.address_key FROM cards c JOIN scope USING (card_id)
                           WHERE c.address_key IS NOT NULL),
        found AS (SELECT a.commune_id, a.address_key, min(v.village_id) AS village_id
                  FROM addresses a JOIN villages v ON v.commune_id = a.commune_id
                  WHERE length(v.village_key) >= 4 AND contains(replace(a.address_key, ' ', ''), v.village_key)
                  GROUP BY ALL HAVING count(*) = 1)
        SELECT c.card_id, f.village_id FROM cards c JOIN scope USING (card_id)
        JOIN found f ON f.commune_id = c.commune_id AND f.address_key = c.address_key
    """)
    con.execute("""
        CREATE OR REPLACE TABLE card_hints AS
        SELECT s.card_id, si.person_hint, h.hh_key, coalesce(v.village_id, h.hh_village_id) AS village_id
        FROM scope s LEFT JOIN si_hint si USING (card_id) LEFT JOIN hh_hint h USING (card_id)
        LEFT JOIN village_hint v USING (card_id)
    """)


def card_inputs(con: duckdb.DuckDBPyConnection, table: str, where: str, hide_id: str = "FALSE") -> int:
    """Table ``table``: the cards of ``scope`` that ``where`` selects, in the model's input form; its row count.

    hide_id: cards whose personal ID the model must not see (ID-linked cards scored as if they had none)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT c.card_id AS uid,
               CASE WHEN {ID_VALID_SQL.format(p='c.')} AND NOT ({hide_id}) THEN c.personal_id END AS personal_id,
               n.name_lc, n.name_fold, n.name_sorted, n.name_phon,
               c.dob_year::INTEGER AS dob_y, c.dob_month::INTEGER AS dob_m, c.dob_day::INTEGER AS dob_d,
               nullif(c.sex, '') AS sex, c.commune_id, h.village_id, h.hh_key, h.person_hint
        FROM cards c JOIN card_hints h USING (card_id) LEFT JOIN names n ON n.full_name = c.full_name
        WHERE {where}
    """)
    return con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def person_inputs(con: duckdb.DuckDBPyConnection, table: str = "person_inputs") -> int:
    """Table ``table``: every resident in the model's input form; its row count."""
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT p.person_id AS uid, CASE WHEN {ID_VALID_SQL.format(p='p.')} THEN p.personal_id END AS personal_id,
               n.name_lc, n.name_fold, n.name_sorted, n.name_phon,
               p.dob_year::INTEGER AS dob_y, p.dob_month::INTEGER AS dob_m, p.dob_day::INTEGER AS dob_d,
               nullif(p.sex, '') AS sex, p.commune_id, p.village_id, p.household_id AS hh_key,
               p.person_id AS person_hint
        FROM persons p LEFT JOIN names n ON n.full_name = p.full_name
    """)
    return con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def select_links(con: duckdb.DuckDBPyConnection, lower: float, upper: float) -> None:
    """From scores(card_id, person_id, match_weight, match_probability) of cards in ``pool``:

    new_links: best candidate of its card, best card of its resident for that start date,
    at or above ``upper``, and no tie; review: candidates worth a look, not yet in the queue;
    ties: cards claimed by two residents.
    """
    con.execute("""
        CREATE OR REPLACE TABLE ranked AS
        WITH s AS (
            SELECT s.* FROM scores s JOIN pool USING (card_id)
            WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.decision = 'rejected'
                              AND r.card_id = s.card_id AND r.person_id = s.person_id)
        )
        SELECT s.*, c.valid_from,
               row_number() OVER (PARTITION BY s.card_id ORDER BY match_weight DESC, s.person_id) AS card_rank
        FROM s JOIN cards c USING (card_id)
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE best AS
        WITH second AS (SELECT card_id, match_weight AS w2, match_probability AS p2, person_id AS person2
                        FROM ranked WHERE card_rank = 2)
        SELECT b.*, s.w2, s.p2, s.person2,
               (s.p2 IS NOT NULL AND s.p2 >= {upper} AND b.match_weight - s.w2 < {TIE_MARGIN}) AS tie,
               row_number() OVER (PARTITION BY b.person_id, b.valid_from
                                  ORDER BY b.match_weight DESC, b.card_id) AS person_rank
        FROM ranked b LEFT JOIN second s USING (card_id)
        WHERE b.card_rank = 1 AND b.match_probability >= {lower}
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE new_links AS
        SELECT card_id, person_id, match_probability FROM best
        WHERE match_probability >= {upper} AND person_rank = 1 AND NOT tie
    """)
    con.execute("""
        CREATE OR REPLACE TABLE ties AS
        SELECT card_id, person_id, person2, match_probability FROM best WHERE tie
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE review AS
        WITH candidates AS (
            SELECT card_id, person_id, match_probability FROM best
            WHERE card_id NOT IN (SELECT card_id FROM new_links)
            UNION ALL
            SELECT r.card_id, r.person_id, r.match_probability FROM ranked r JOIN ties t
                ON t.card_id = r.card_id AND t.person2 = r.person_id
        )
        SELECT DISTINCT c.card_id, c.person_id, c.match_probability FROM candidates c
        WHERE c.match_probability >= {lower}
          AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.card_id = c.card_id AND r.person_id = c.person_id)
    """)


def duplicates(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every duplicate to report, from final_links (card_id, person_id), ties and the registers."""
    return con.sql("""
        SELECT 'cards_one_resident' AS kind, a.card_id, b.card_id AS other_card_id,
               a.person_id, NULL::BIGINT AS other_person_id, NULL::DOUBLE AS match_probability
        FROM final_links a JOIN final_links b ON a.person_id = b.person_id AND a.card_id < b.card_id
        JOIN cards ca ON ca.card_id = a.card_id JOIN cards cb ON cb.card_id = b.card_id
        WHERE ca.valid_from <= cb.valid_to AND cb.valid_from <= ca.valid_to
          AND coalesce(ca.si_code, '#' || ca.card_id::VARCHAR) <> coalesce(cb.si_code, '#' || cb.card_id::VARCHAR)
        UNION ALL
        SELECT 'card_two_residents', card_id, NULL, person_id, person2, match_probability FROM ties
        UNION ALL
        SELECT 'card_two_residents', c.card_id, NULL, min(p.person_id), max(p.person_id), NULL
        FROM cards c JOIN persons p ON p.personal_id = c.personal_id
        JOIN id_owner o ON o.personal_id = c.personal_id AND o.n > 1
        WHERE c.card_id NOT IN (SELECT card_id FROM final_links)
        GROUP BY c.card_id
        UNION ALL
        SELECT 'residents', NULL, NULL, a.person_id, b.person_id, NULL
        FROM persons a JOIN persons b
          ON a.name_key = b.name_key AND a.commune_id = b.commune_id AND a.dob_year = b.dob_year
         AND a.person_id < b.person_id
        WHERE a.dob_month IS NOT DISTINCT FROM b.dob_month AND a.dob_day IS NOT DISTINCT FROM b.dob_day
        UNION ALL
        SELECT 'residents', NULL, NULL, a.person_id, b.person_id, NULL
        FROM persons a JOIN persons b ON a.personal_id = b.personal_id AND a.person_id < b.person_id
        WHERE a.name_key <> b.name_key OR a.commune_id <> b.commune_id OR a.dob_year <> b.dob_year
           OR a.dob_month IS DISTINCT FROM b.dob_month OR a.dob_day IS DISTINCT FROM b.dob_day
    """).pl()
