"""Per-request rules for signed-in users: their saved language (which wins over the browser's
Accept-Language), and two-step sign-in."""

from django.utils import translation

from .two_factor import second_factor_redirect


class UserLanguageMiddleware:
    """Applies a signed-in user's saved language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class SecondFactorMiddleware:
    """Applies the two-step sign-in rule (accounts.two_factor.second_factor_redirect) to every
    page, the Django admin included: it runs once the URL is resolved, after OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        return second_factor_redirect(request)
