"""Turn a user error raised by a service into a clear 4xx page, never a traceback."""

from django.shortcuts import render

from everydoor.core.errors import ErrorCode, EverydoorError

_STATUS = {ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404}


class UserErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, EverydoorError):
            status = _STATUS.get(exception.code, 400)
            # a 404 says the same whether the object is elsewhere or nowhere: never a hint that it exists
            message = None if status == 404 else exception.message
            return render(request, "web/error.html", {"status": status, "message": message}, status=status)
        return None
