from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "everydoor.campaign"
