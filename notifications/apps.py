from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("メール")

    def ready(self) -> None:
        from accounts import audit
        from applicants.registry import applicant_panels
        from applicants.signals import applicant_anonymizing
        from applicants.timeline import timeline_sources
        from notifications import panels, receivers, timeline

        audit.register_category("mail", _("メール"))
        audit.register_actions(
            {
                "mail.template_updated": _("メールテンプレートを変更"),
                "mail.template_reset": _("メールテンプレートを初期設定に戻す"),
                "mail.settings_updated": _("メール送信設定を変更"),
                "mail.resent": _("メールを再送"),
                "mail.personal_sent": _("個別メールを送信"),
            }
        )
        timeline_sources.register(timeline.mail_items)
        applicant_panels.register(panels.personal_mail_panel)
        applicant_anonymizing.connect(receivers.on_applicant_anonymizing, dispatch_uid="notifications")
