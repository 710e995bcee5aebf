from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicantsConfig(AppConfig):
    name = "applicants"
    verbose_name = _("応募者")

    def ready(self) -> None:
        from accounts import audit
        from applicants import timeline

        audit.register_category("applicant", _("応募者"))
        audit.register_actions(
            {
                "applicant.created": _("応募者を登録"),
                "applicant.updated": _("応募者情報を変更"),
                "applicant.status_changed": _("選考ステータスを変更"),
                "applicant.bulk_status_changed": _("選考ステータスを一括変更"),
                "applicant.memo_added": _("応募者にメモを追加"),
                "applicant.imported": _("応募者をCSVで取り込み"),
                "applicant.import_preset_saved": _("取り込み設定を保存"),
                "applicant.import_preset_deleted": _("取り込み設定を削除"),
                "applicant.exported": _("応募者をCSVで出力"),
                "applicant.export_downloaded": _("作成した応募者ファイルをダウンロード"),
                "applicant.anonymized": _("応募者の個人情報を削除"),
                "applicant.setting_added": _("応募者設定を追加"),
                "applicant.setting_changed": _("応募者設定を変更"),
                "applicant.setting_reordered": _("応募者設定の並び順を変更"),
            }
        )
        timeline.timeline_sources.register(timeline.applicant_items)
