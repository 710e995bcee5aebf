from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.template_list, name="template_list"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("templates/<int:pk>/reset/", views.template_reset, name="template_reset"),
    path("templates/<int:pk>/test/", views.template_test_send, name="template_test_send"),
    path("settings/", views.mail_settings, name="mail_settings"),
    path("sent/", views.mail_list, name="mail_list"),
    path("sent/<int:pk>/", views.mail_detail, name="mail_detail"),
    path("sent/<int:pk>/invite.ics", views.mail_ics, name="mail_ics"),
    path("sent/<int:pk>/resend/", views.mail_resend, name="mail_resend"),
    path("applicants/<int:applicant_id>/mail/", views.personal_mail, name="personal_mail"),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<int:pk>/", views.mailbox_detail, name="mailbox_detail"),
    path("mailbox/<int:pk>/message.eml", views.mailbox_raw, name="mailbox_raw"),
    path("mailbox/<int:pk>/attachments/<int:index>/", views.mailbox_attachment, name="mailbox_attachment"),
]
