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
    from everydoor.linkage.models import ReviewItem, Duplicate
    from everydoor.registry.models import Card, Person
    for c in Card.objects.filter(link__isnull=True)[:12]:
        p = Person.objects.get(id=truth[c.id])
        ri = list(ReviewItem.objects.filter(card=c).values_list("person_id","match_probability"))
        print(c.full_name, c.dob_year, c.dob_month, c.dob_day, c.commune_id, "|", p.full_name, p.dob, p.commune_id, p.id, ri)
    print(list(Duplicate.objects.values_list("kind","card_id","other_card_id","person_id","other_person_id")[:10]))
    for pid in (94,108,44,30,90,209):
        p=Person.objects.get(id=pid); print(pid, p.full_name, p.dob, p.commune_id, p.village_id, p.household_id, p.sex)
    import json
    st=json.loads(m.settings_json)
    for c in st["comparisons"]:
        print(c["output_column_name"], [(l["label_for_charts"], round(l.get("m_probability",0),4), round(l.get("u_probability",0),6)) for l in c["comparison_levels"]])
