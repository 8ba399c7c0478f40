from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "everydoor.linkage"
