from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebMeetingsConfig(AppConfig):
    name = "web_meetings"
    verbose_name = _("Web面接")
