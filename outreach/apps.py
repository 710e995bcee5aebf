from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("一括操作")

    def ready(self) -> None:
        from accounts import audit

        audit.register_category("outreach", _("一括操作"))
        audit.register_actions(
            {
                "outreach.job_started": _("応募者の一括操作を開始"),
                "outreach.job_finished": _("応募者の一括操作が完了"),
                "outreach.job_retried": _("応募者の一括操作の失敗分を再実行"),
            }
        )
