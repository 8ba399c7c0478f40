from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "everydoor.core"
