"""URLs of appeals, all in the "appeals" namespace, mounted at the site root by liuqing/urls.py:

* /appeals/…: the staff pages (liuqing.appeals.views) and the contact-card sheets
  (liuqing.appeals.cards, at /appeals/cards/…);
* /p/…: the residents' pages (liuqing.appeals.public.urls).

The Open311 server has its own namespace and mount (/open311/v2/, liuqing/urls.py). Modules
not written yet are skipped, so the staff pages work on their own.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.urls import include, path

from liuqing.appeals.views import urlpatterns as staff_urlpatterns

app_name = "appeals"


def _optional(module_name: str) -> list[Any]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        return []
    return list(getattr(module, "urlpatterns", []))


urlpatterns: list[Any] = [*staff_urlpatterns]
if cards := _optional("liuqing.appeals.cards"):
    urlpatterns.append(path("appeals/", include(cards)))
if public := _optional("liuqing.appeals.public.urls"):
    urlpatterns.append(path("p/", include(public)))
