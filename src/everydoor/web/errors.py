"""Turn a user error raised by a service into a clear 4xx page, never a traceback."""

from django.http import HttpResponse

from everydoor.core.errors import ErrorCode, EverydoorError

_STATUS = {ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404}


class UserErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, EverydoorError):
            return HttpResponse(exception.message, status=_STATUS.get(exception.code, 400),
                                content_type="text/plain; charset=utf-8")
        return None
