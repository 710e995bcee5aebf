from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("企業とユーザー")

    def ready(self) -> None:
        from django.core import checks

        from accounts import audit, hooks

        checks.register(hooks.check_required_receivers)

        audit.register_category("user", pgettext_lazy("audit category", "ユーザー"))
        audit.register_actions(
            {
                "user.created": _("ユーザーを作成"),
                "user.invited": _("ユーザーを招待"),
                "user.updated": _("ユーザーを変更"),
                "user.deactivated": _("ユーザーを無効化"),
                "user.reactivated": _("ユーザーを有効化"),
                "user.login_throttled": _("ログイン試行の制限"),
            }
        )
