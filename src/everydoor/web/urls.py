from django.contrib.auth import views as auth_views
from django.urls import path

from everydoor.web import areas, audit, lapses, lookup, manager, progress, search, targets, views


def _campaign_pages(prefix: str, view) -> list:
    """The user's own part of the campaign, and one URL per kind of node it can name."""
    return [path(f"{prefix}/", view, name=prefix)] + [
        path(f"{prefix}/{kind}/<str:key>/", view, {"kind": kind}, name=f"{prefix}_{kind}")
        for kind in ("area", "unit", "officer")]


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", areas.home, name="home"),
    path("area/<str:code>/", areas.area_page, name="area"),
    path("unit/<str:code>/", areas.unit_page, name="unit"),
    path("household/<int:household_id>/", areas.household_page, name="household"),
    path("audit/", audit.audit_page, name="audit"),
    path("audit.csv", audit.audit_csv, name="audit_csv"),
    path("lookup/", lookup.lookup, name="lookup"),
    path("search/", search.search, name="search"),
    path("imports/", manager.imports, name="imports"),
    path("imports/<int:batch_id>/quarantine.csv", manager.quarantine_csv, name="quarantine_csv"),
    path("quality/", manager.quality, name="quality"),
    path("quality/<str:name>.csv", manager.quality_csv, name="quality_csv"),
    path("report/", manager.report, name="report"),
    *_campaign_pages("targets", targets.page),
    path("targets/allocate", targets.targets_allocate_view, name="targets_allocate"),
    path("targets/<int:target_id>/set", targets.target_set_view, name="target_set"),
    path("targets/<int:target_id>/lock", targets.target_lock_view, {"locked": True}, name="target_lock"),
    path("targets/<int:target_id>/unlock", targets.target_lock_view, {"locked": False}, name="target_unlock"),
    *_campaign_pages("progress", progress.page),
    path("lapses/", lapses.page, name="lapses"),
    path("lapses/area/<str:key>/", lapses.page, {"kind": "area"}, name="lapses_area"),
    path("lapses/unit/<str:key>/", lapses.page, {"kind": "unit"}, name="lapses_unit"),
    path("review/", views.review, name="review"),
    path("review/<int:item_id>/accept", views.review_decision, {"accept": True}, name="review_accept"),
    path("review/<int:item_id>/reject", views.review_decision, {"accept": False}, name="review_reject"),
]
