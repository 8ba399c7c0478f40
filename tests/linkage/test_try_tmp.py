import time
import pytest
from everydoor.linkage.services import link_run
from everydoor.linkage.models import Link
from tests.linkage import synth

@pytest.mark.django_db
def test_try():
    data = synth.build(400)
    t=time.time()
    counts = link_run(progress=print)
    print(counts, time.time()-t)
    truth = data["truth"]
    links = dict(Link.objects.values_list("card_id","person_id"))
    tp = sum(1 for c,p in links.items() if truth.get(c)==p)
    print("links", len(links), "tp", tp, "truth", len(truth))
    from everydoor.linkage.models import LinkModel
    m = LinkModel.objects.get()
    print(m.lower_threshold, m.upper_threshold, m.trained_on)
