"""A stand-in webhook endpoint at /zoom/webhook/ for the fixture tests (used with @pytest.mark.urls)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

RECEIVED: list[tuple[bytes, dict[str, str]]] = []
ANSWER = {"status": 200}


@csrf_exempt
def capture(request):
    RECEIVED.append((request.body, {k.lower(): v for k, v in request.headers.items()}))
    return HttpResponse(status=ANSWER["status"])


urlpatterns = [path("zoom/webhook/", capture)]
