from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "everydoor.coverage"
