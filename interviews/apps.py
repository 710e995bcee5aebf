from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterviewsConfig(AppConfig):
    name = "interviews"
    verbose_name = _("面接と評価")

    def ready(self) -> None:
        from accounts import audit
        from interviews import assignments, decisions, evaluation_backlog, evaluations

        audit.register_category("interview", _("面接・評価"))
        # Each area connects its own signals, registries and audit labels.
        assignments.connect()
        evaluations.connect()
        decisions.connect()
        evaluation_backlog.connect()
