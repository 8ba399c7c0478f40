"""GET /targets and GET /progress: the campaign for the signed-in user's part of it.

Session or signed bearer token (api.auth). Without parameters a user gets their own part
(accounts.scope.campaign_subject); naming an area (`area`: name or code, or an agency unit's code) or
an officer (`officer`: username) outside what the user may see answers 404, as if it did not exist.
"""

from ninja import Router, Status

from everydoor.api.auth import user_auth
from everydoor.api.eligibility import ErrorOut
from everydoor.core.errors import ErrorCode, EverydoorError

router = Router(tags=["campaign"])
_NOT_FOUND = {"code": ErrorCode.NOT_FOUND, "message": "no such area or officer in your part of the campaign"}


def _subject(user, area: str | None, officer: str | None) -> dict:
    from everydoor.accounts.scope import campaign_subject, scope_for, subject_visible
    from everydoor.campaign.targets import officer_resolve
    from everydoor.coverage.selectors import area_resolve_any

    if area and officer:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "name an area or an officer, not both")
    try:
        scope = scope_for(user)
    except EverydoorError as exc:  # an account without an area has no part of the campaign: as if none existed
        raise EverydoorError(ErrorCode.NOT_FOUND, _NOT_FOUND["message"]) from exc
    if officer:
        subject = {"officer": officer_resolve(officer)}
    elif area:
        subject = {"area": area_resolve_any(area)}
    else:
        subject = campaign_subject(scope)
        if subject is None:
            raise EverydoorError(ErrorCode.NOT_FOUND, _NOT_FOUND["message"])
    if not subject_visible(scope, **subject):
        raise EverydoorError(ErrorCode.NOT_FOUND, _NOT_FOUND["message"])
    return subject


def _answer(call):
    try:
        return Status(200, call())
    except EverydoorError as exc:
        if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.AMBIGUOUS):
            return Status(404, {"code": exc.code, "message": exc.message})
        return Status(400, {"code": exc.code, "message": exc.message})


@router.get("/targets", auth=user_auth(), response={200: dict, 400: ErrorOut, 404: ErrorOut})
def targets(request, area: str | None = None, officer: str | None = None):
    """A target and its children's, with the campaign's decision, due and baseline dates."""
    from everydoor.campaign.selectors import targets_show

    return _answer(lambda: targets_show(**_subject(request.auth, area, officer)))


@router.get("/progress", auth=user_auth(), response={200: dict, 400: ErrorOut, 404: ErrorOut})
def progress(request, area: str | None = None, officer: str | None = None, as_of: str | None = None):
    """Progress from the subject down to officers: target, cards gained, visits, funnel, follow-ups."""
    from everydoor.campaign.progress import progress_report
    from everydoor.core.dates import parse_iso

    def call():
        day = parse_iso(as_of, field="as_of") if as_of else None
        return progress_report(**_subject(request.auth, area, officer), as_of=day)

    return _answer(call)
