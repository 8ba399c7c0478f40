import os

import pytest

from everydoor.linkage.models import Link, LinkModel
from everydoor.linkage.services import link_run
from tests.linkage import synth

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.mark.django_db
def test_spark_engine_links_a_small_extract():
    pytest.importorskip("pyspark")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    data = synth.build(300, seed=11)
    counts = link_run(engine="spark")
    truth = data["truth"]
    links = dict(Link.objects.values_list("card_id", "person_id"))
    assert all(truth[c] == p for c, p in links.items())
    assert len(links) / len(truth) >= 0.95
    assert counts["linked_probabilistic"] > 0
    assert '"sql_dialect": "spark"' in LinkModel.objects.get().settings_json
