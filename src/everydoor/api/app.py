"""The JSON API: one router per domain, mounted under /api/v1/."""

from ninja import NinjaAPI
from ninja.errors import ValidationError

from everydoor.api.campaign import router as campaign_router
from everydoor.api.eligibility import router as eligibility_router
from everydoor.api.fieldwork import router as fieldwork_router

api = NinjaAPI(title="everydoor", version="1", urls_namespace="api")
api.add_router("/", eligibility_router)
api.add_router("/", fieldwork_router)
api.add_router("/", campaign_router)


@api.exception_handler(ValidationError)
def invalid_request(request, exc: ValidationError):
    """A request the schema refuses: 422 naming the first field at fault, as the services' errors do."""
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "payload", "query")]
    field = ".".join(location) or None
    message = f"{field}: {first.get('msg', 'invalid')}" if field else first.get("msg", "invalid request")
    return api.create_response(request, {"code": "invalid_input", "field": field, "message": message,
                                          "detail": exc.errors}, status=422)


@api.get("/health")
def health(request):
    return {"status": "ok"}
