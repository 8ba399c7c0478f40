from django.urls import path

from everydoor.field import views

app_name = "field"
urlpatterns = [
    path("", views.day, name="day"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("session.json", views.session, name="session"),
    path("visits", views.visit_send, name="visit_send"),
    path("villages/<int:village_id>/", views.village, name="village"),
    path("villages/<int:village_id>/offline.json", views.village_offline, name="village_offline"),
    path("households/<int:household_id>/", views.household, name="household"),
    path("attention/", views.attention, name="attention"),
]
