from django.http import HttpResponse


def communes(request):
    return HttpResponse("everydoor")
