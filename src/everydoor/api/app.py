"""The JSON API: one router per domain, mounted under /api/v1/."""

from ninja import NinjaAPI

api = NinjaAPI(title="everydoor", version="1", urls_namespace="api")


@api.get("/health")
def health(request):
    return {"status": "ok"}
