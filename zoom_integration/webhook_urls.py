app_name = "zoom_webhook"

urlpatterns: list = []
