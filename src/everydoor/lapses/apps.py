from django.apps import AppConfig


class LapsesConfig(AppConfig):
    name = "everydoor.lapses"
    default_auto_field = "django.db.models.BigAutoField"
