from django.contrib.auth import views as auth_views
from django.urls import path

from everydoor.web import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.communes, name="communes"),
    path("review/", views.review, name="review"),
    path("review/<int:item_id>/accept", views.review_decision, {"accept": True}, name="review_accept"),
    path("review/<int:item_id>/reject", views.review_decision, {"accept": False}, name="review_reject"),
]
