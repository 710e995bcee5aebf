from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZoomIntegrationConfig(AppConfig):
    name = "zoom_integration"
    verbose_name = _("Web面接連携サービス")
