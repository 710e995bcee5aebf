from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("選考会と日程")

    def ready(self) -> None:
        from accounts import audit
        from scheduling import receivers
        from web_meetings import signals as web_meeting_signals

        audit.register_category("selection", _("選考会"))
        audit.register_category("event", _("イベント"))
        audit.register_category("slot", _("日程"))
        audit.register_category("meeting", _("Web面接ミーティング"))
        audit.register_actions(
            {
                "selection.created": _("選考会を作成"),
                "selection.updated": _("選考会を変更"),
                "selection.deleted": _("選考会を削除"),
                "event.created": _("イベントを作成"),
                "event.settings_changed": _("予約動作設定を変更"),
                "event.deleted": _("イベントを削除"),
                "slot.created": _("日程を作成"),
                "slot.changed": _("日程を変更"),
                "slot.deleted": _("日程を削除"),
                "slot.batch_started": _("日程の一括操作を開始"),
                "slot.batch_finished": _("日程の一括操作が完了"),
                "slot.meeting_changed": _("日程の日時・URLの変更（予約者への通知対象）"),
                "meeting.issued": _("ミーティングを発行"),
                "meeting.updated": _("ミーティングを更新"),
                "meeting.deleted": _("ミーティングを削除"),
                "meeting.failed": _("ミーティングの発行に失敗"),
                "meeting.reissue_requested": _("ミーティングの再発行を指示"),
                "meeting.deleted_in_zoom": _("Web会議サービス上でミーティングが削除された"),
                "meeting.changed_in_zoom": _("Web会議サービス上でミーティングの日時が変更された"),
                "meeting.start_link_opened": _("ホスト用開始リンクを開いた"),
            }
        )
        web_meeting_signals.link_usable.connect(receivers.on_link_usable, dispatch_uid="scheduling")
        web_meeting_signals.meeting_changed.connect(receivers.on_meeting_changed, dispatch_uid="scheduling")
