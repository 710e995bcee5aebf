from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("企業とユーザー")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from accounts import audit, hooks, receivers

        checks.register(hooks.check_required_receivers)
        user_logged_in.connect(receivers.note_two_factor_enrolment, dispatch_uid="accounts")

        audit.register_category("user", pgettext_lazy("audit category", "ユーザー"))
        audit.register_category("security", pgettext_lazy("audit category", "セキュリティ"))
        audit.register_category("closed_day", pgettext_lazy("audit category", "休業日"))
        audit.register_actions(
            {
                "user.created": _("ユーザーを作成"),
                "user.invited": _("ユーザーを招待"),
                "user.updated": _("ユーザーを変更"),
                "user.deactivated": _("ユーザーを無効化"),
                "user.reactivated": _("ユーザーを有効化"),
                "user.login_throttled": _("ログイン試行の制限"),
                "user.locked": _("アカウントをロック（ログイン失敗の多発）"),
                "user.unlocked": _("アカウントのロックを解除"),
                "user.2fa_enabled": _("2段階認証を設定"),
                "user.2fa_disabled": _("2段階認証を無効化"),
                "user.2fa_reset": _("2段階認証をリセット"),
                "user.recovery_codes_renewed": _("リカバリーコードを再発行"),
                "user.recovery_code_used": _("リカバリーコードでログイン"),
                "security.2fa_required": _("2段階認証を必須に設定"),
                "security.2fa_optional": _("2段階認証を任意に設定"),
                "closed_day.added": _("休業日を追加"),
                "closed_day.deleted": _("休業日を削除"),
            }
        )
