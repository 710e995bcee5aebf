from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoogleMeetConfig(AppConfig):
    name = "google_meet"
    verbose_name = _("Google Meet連携")

    def ready(self) -> None:
        from accounts import audit
        from google_meet.provider import GoogleMeetProvider
        from web_meetings import providers

        providers.register(GoogleMeetProvider())

        audit.register_category("google", _("Google Meet連携"))
        audit.register_actions(
            {
                "google.enabled": _("Google Meetの利用を開始"),
                "google.unlinked": _("Google Meet連携を解除"),
                "google.grant_linked": _("Googleアカウントを連携"),
                "google.grant_released": _("Googleアカウントの連携を解除"),
                "google.reauthorization_required": _("Googleアカウント連携エラー（再認可が必要）"),
            }
        )
