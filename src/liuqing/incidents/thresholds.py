"""The emerging hot-spot thresholds from the settings (settings.INCIDENTS_EMERGING_*), checked.

`emerging_parameters()` gives the keyword arguments of
`liuqing.analytics.emerging.emerging_hot_spots` that the refresh passes: the significance of a
bin (`confidence`, `fdr`), of a trend (`trend_alpha`), the share of months that makes a spot
"frequent" (`persistence`), the months before each bin in its neighbourhood (`time_lag`) and
the fewest months classified (`min_steps`). The defaults (settings.py) are today's values of
the classifier (`emerging.DEFAULT_*`): 0.90, Benjamini–Hochberg on, 0.05, 9/10, 1 and 4.

A value that is not allowed raises ImproperlyConfigured naming the setting, and the system
check (`check_emerging_settings`, registered by IncidentsConfig) reports it at start-up.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypedDict

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from liuqing.analytics import emerging


class EmergingParameters(TypedDict):
    confidence: float
    fdr: bool
    trend_alpha: float
    persistence: Fraction
    time_lag: int
    min_steps: int


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _open_unit(name: str, default: Any) -> float:
    raw = _setting(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise ImproperlyConfigured(f"{name} must be a number between 0 and 1, not {raw!r}")
    return value


def _count(name: str, default: int, least: int) -> int:
    raw = _setting(name, default)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < least:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least {least}, not {raw!r}"
        )
    return raw


def emerging_parameters() -> EmergingParameters:
    """The classifier's thresholds from the settings (module docstring)."""
    raw_share = _setting("INCIDENTS_EMERGING_PERSISTENCE", emerging.DEFAULT_PERSISTENCE)
    try:
        share = Fraction(str(raw_share).strip())
    except (ValueError, ZeroDivisionError):
        share = Fraction(0)
    if not 0 < share <= 1:
        raise ImproperlyConfigured(
            "INCIDENTS_EMERGING_PERSISTENCE must be a share of the months above 0 and at most 1"
            f' ("9/10" or "0.9"), not {raw_share!r}'
        )
    fdr = _setting("INCIDENTS_EMERGING_FDR", True)
    if not isinstance(fdr, bool):
        raise ImproperlyConfigured(f"INCIDENTS_EMERGING_FDR must be True or False, not {fdr!r}")
    return EmergingParameters(
        confidence=_open_unit("INCIDENTS_EMERGING_CONFIDENCE", emerging.DEFAULT_CONFIDENCE),
        fdr=fdr,
        trend_alpha=_open_unit("INCIDENTS_EMERGING_TREND_ALPHA", emerging.DEFAULT_TREND_ALPHA),
        persistence=share,
        time_lag=_count("INCIDENTS_EMERGING_TIME_LAG", 1, 0),
        min_steps=_count("INCIDENTS_EMERGING_MIN_MONTHS", emerging.MIN_STEPS, 2),
    )


def check_emerging_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: the emerging hot-spot settings can be used."""
    try:
        emerging_parameters()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="incidents.E001")]
    return []
