from django.urls import path

from everydoor.web import views

urlpatterns = [
    path("", views.communes, name="communes"),
]
