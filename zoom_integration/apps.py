from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZoomIntegrationConfig(AppConfig):
    name = "zoom_integration"
    verbose_name = _("Web面接連携サービス")

    def ready(self) -> None:
        from accounts import audit
        from web_meetings import providers
        from zoom_integration.provider import ZoomProvider

        providers.register(ZoomProvider())

        audit.register_category("zoom", _("Zoom連携"))
        audit.register_actions(
            {
                "zoom.linked": _("Zoomアカウントを連携"),
                "zoom.reauthorization_required": _("Zoom連携エラー（再認可が必要）"),
                "zoom.unlinked": _("Zoom連携を解除"),
                "zoom.deauthorized": _("Zoom側でアプリが削除され連携解除"),
                "zoom.users_synced": _("Zoomユーザーを同期"),
            }
        )
