"""The JSON API: one router per domain, mounted under /api/v1/."""

from ninja import NinjaAPI

from everydoor.api.eligibility import router as eligibility_router

api = NinjaAPI(title="everydoor", version="1", urls_namespace="api")
api.add_router("/", eligibility_router)


@api.get("/health")
def health(request):
    return {"status": "ok"}
