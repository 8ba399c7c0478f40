from django.urls import include, path

from everydoor.api.app import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # the language switch (a POST form)
    path("field/", include("everydoor.field.urls")),
    path("", include("everydoor.web.urls")),
]
