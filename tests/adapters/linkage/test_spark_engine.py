"""Spark gives the same clusters as DuckDB from the same model (run in CI with pyspark)."""

import random
import shutil

import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark not installed: pip install 'famlink[spark]'")
if shutil.which("java") is None:
    pytest.skip("Spark needs java on the PATH", allow_module_level=True)

from famlink.adapters.linkage import linkage_engine

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]  # asks for one worker, one JVM

FIRST = ["Robert", "Grace", "Thomas", "Amy", "Oliver", "Sophie", "Mohammed", "Chloe", "Daniel", "Ava",
         "James", "Isla", "Harry", "Emily", "Jack", "Lily", "Noah", "Mia", "George", "Ella"]
SURNAMES = ["Allen", "Kelly", "Khan", "Jones", "Patel", "Evans", "Hughes", "Owen", "Price", "Lewis",
            "Ahmed", "Morgan", "Davies", "Walsh", "Begum"]
NICK = {"Robert": "Rob", "Thomas": "Tom", "Daniel": "Dan", "James": "Jim", "Harry": "Hal"}


def people() -> pd.DataFrame:
    """90 people, each sent two to four times with the errors agencies make."""
    rng = random.Random(7)
    rows = []
    for person in range(90):
        first, surname = rng.choice(FIRST), rng.choice(SURNAMES)
        born = f"{rng.randint(1960, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        postcode = f"CF{rng.randint(1, 40)} {rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}"
        for copy in range(rng.randint(2, 4)):
            f, s, d, p = first, surname, born, postcode
            if copy and rng.random() < 0.3:
                f = NICK.get(f, f[:-1] + f[-1].upper())
            if copy and rng.random() < 0.2:
                s = s[0] + s[2:] if len(s) > 3 else s
            if copy and rng.random() < 0.2:
                p = None
            rows.append((f"{person}-{copy}", f, s, d, p))
    return pd.DataFrame(rows, columns=["record_id", "first_name", "surname", "date_of_birth", "postcode"])


def test_spark_matches_duckdb():
    records = people()
    duck = linkage_engine("duckdb").link(records, threshold=0.9)
    assert len(set(duck.clusters.values())) < len(records) / 2  # it did link: not a vacuous match
    spark = linkage_engine("spark").link(records, threshold=0.9, model=duck.model)
    assert spark.clusters == duck.clusters
