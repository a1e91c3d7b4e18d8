from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.orders, name="orders"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("oidc/backchannel-logout/", views.backchannel_logout, name="backchannel_logout"),
    path("oidc/", include("mozilla_django_oidc.urls")),
]
