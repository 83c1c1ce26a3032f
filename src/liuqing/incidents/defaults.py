"""The eight built-in incident categories (KPIS.md): codes are stable, names translated.

A built-in category whose `name` is empty shows its built-in name through gettext in the
reader's language (`BUILTIN_NAMES`); an administrator who renames it stores the new name,
which is then shown as given in every language. `SEEDED_NAMES` are the Chinese names the
categories were first stored with, before they were translated: migration 0005 empties a
name still equal to its seed (never renamed) so that it is translated from then on.

`ensure_default_categories` is shared by the data migration (with the historical model), the
demo and the tests; it only adds what is missing, so running it twice changes nothing and it
never overwrites a category an administrator has edited.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

BUILTIN_NAMES: dict[str, Promise] = {
    "criminal": pgettext_lazy("incident category", "Criminal"),
    "public_order": pgettext_lazy("incident category", "Public order"),
    "telecom_fraud": pgettext_lazy("incident category", "Telecom fraud"),
    "traffic": pgettext_lazy("incident category", "Traffic"),
    "dispute": pgettext_lazy("incident category", "Dispute"),
    "help_rescue": pgettext_lazy("incident category", "Help and rescue"),
    "fire": pgettext_lazy("incident category", "Fire"),
    "other": pgettext_lazy("incident category", "Other"),
}

SEEDED_NAMES = {
    "criminal": "刑事",
    "public_order": "治安",
    "telecom_fraud": "电信诈骗",
    "traffic": "交通",
    "dispute": "纠纷",
    "help_rescue": "求助救援",
    "fire": "火灾",
    "other": "其他",
}

# (code, stored name, order): the stored name is empty, i.e. the translated built-in name.
DEFAULTS = [(code, "", 10 * (i + 1)) for i, code in enumerate(BUILTIN_NAMES)]


@functools.cache
def builtin_aliases(code: str) -> frozenset[str]:
    """The built-in category's name in every language of the site (and its seed), lower-cased:
    a source file may name it in any of them, also after an administrator renamed it."""
    builtin = BUILTIN_NAMES.get(code)
    if builtin is None:
        return frozenset()
    names = {SEEDED_NAMES[code]}
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            names.add(str(builtin))
    return frozenset(n.strip().lower() for n in names)


def category_texts(code: str, name: str) -> frozenset[str]:
    """Every lower-cased text that names a category in a source's file: its code, its stored
    name and (a built-in one) its names in the site's languages (`builtin_aliases`)."""
    return frozenset({code.lower(), name.strip().lower(), *builtin_aliases(code)} - {""})


def ensure_default_categories(model: Any = None) -> int:
    """Create the default categories that do not exist yet; the number created."""
    if model is None:
        from liuqing.incidents.models import IncidentCategory

        model = IncidentCategory
    existing = set(model.objects.values_list("code", flat=True))
    missing = [
        model(code=code, name=name, order=order)
        for code, name, order in DEFAULTS
        if code not in existing
    ]
    model.objects.bulk_create(missing)
    return len(missing)
