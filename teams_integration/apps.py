from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsIntegrationConfig(AppConfig):
    name = "teams_integration"
    verbose_name = _("Microsoft Teams連携")

    def ready(self) -> None:
        from accounts import audit
        from teams_integration.provider import TeamsProvider
        from web_meetings import providers

        providers.register(TeamsProvider())

        audit.register_category("teams", _("Microsoft Teams連携"))
        audit.register_actions(
            {
                "teams.linked": _("Microsoft 365 テナントを連携"),
                "teams.reauthorization_required": _("Microsoft Teams連携エラー（再認可が必要）"),
                "teams.unlinked": _("Microsoft Teams連携を解除"),
                "teams.users_synced": _("Microsoft Teamsユーザーを同期"),
            }
        )
