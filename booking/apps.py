from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("予約")

    def ready(self) -> None:
        from accounts import audit
        from applicants import registry as applicant_registry
        from applicants.signals import applicant_anonymizing
        from applicants.timeline import timeline_sources
        from booking import panels, receivers
        from booking.reminders import booking_reminders
        from booking.timeline import booking_items
        from notifications.reminders import reminder_sources
        from scheduling import signals as scheduling_signals
        from scheduling.registry import slot_panels

        audit.register_category("booking", _("予約"))
        audit.register_actions(
            {
                "booking.created": _("予約"),
                "booking.moved": _("予約を変更"),
                "booking.cancelled": _("予約をキャンセル"),
                "booking.promoted": _("キャンセル待ちから予約"),
                "booking.waitlisted": _("キャンセル待ちに登録"),
                "booking.wait_withdrawn": _("キャンセル待ちを取り消し"),
                "booking.invited": _("日程選択案内を作成"),
                "booking.invitation_revoked": _("日程選択案内のリンクを無効化"),
                "booking.attendance_recorded": _("出欠を記録"),
            }
        )
        scheduling_signals.slot_changed.connect(receivers.on_slot_changed, dispatch_uid="booking")
        scheduling_signals.slot_seats_added.connect(receivers.on_slot_seats_added, dispatch_uid="booking")
        scheduling_signals.slot_deleted.connect(receivers.on_slot_deleted, dispatch_uid="booking")
        applicant_anonymizing.connect(receivers.on_applicant_anonymizing, dispatch_uid="booking")
        applicant_registry.interviewer_scopes.register(receivers.interviewer_applicant_ids)
        applicant_registry.applicant_panels.register(panels.applicant_bookings_panel)
        slot_panels.register(panels.slot_bookings_panel)
        reminder_sources.register(booking_reminders)
        timeline_sources.register(booking_items)
