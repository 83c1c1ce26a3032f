"""The emerging hot-spot thresholds are settings: their defaults are the classifier's values,
changing one changes the classification as it should, the refresh uses them, and a value
that cannot be used is refused by name (and by the system check)."""

from __future__ import annotations

import inspect
from fractions import Fraction
from typing import Any

import h3.api.basic_int as h3int
import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse

from liuqing.analytics import cells, emerging
from liuqing.analytics.emerging import Pattern
from liuqing.analytics.hotspots import NotEnoughData, Reason
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.incidents import refresh
from liuqing.incidents.models import CellTrend, MapRun
from liuqing.incidents.testing import record_incidents
from liuqing.incidents.tests.test_refresh import MONTH, _scatter
from liuqing.incidents.thresholds import check_emerging_settings, emerging_parameters

DEFAULTS = {
    "confidence": 0.90,
    "fdr": True,
    "trend_alpha": 0.05,
    "persistence": Fraction(9, 10),
    "time_lag": 1,
    "min_steps": 4,
}


def test_the_defaults_are_the_classifiers_own_values() -> None:
    assert emerging_parameters() == DEFAULTS
    signature = inspect.signature(emerging.emerging_hot_spots).parameters
    assert {name: signature[name].default for name in DEFAULTS} == DEFAULTS


def cube(spike: int) -> tuple[np.ndarray, Any, int, int]:
    """12 months over 91 cells: a cluster rising month by month (a hot spot all year) and a
    `spike` more incidents around the centre in the final month only."""
    centre_cell = h3int.latlng_to_cell(39.9, 116.4, 9)
    area = np.unique(np.array(h3int.grid_disk(centre_cell, 5), dtype=np.uint64))
    weights = cells.neighbour_weights(area, 1)
    counts = np.random.default_rng(8).poisson(1.0, (area.size, 12))
    centre, steady = area.size // 2, 3

    def ring(i: int) -> list[int]:
        return [i, *weights.indices[weights.indptr[i] : weights.indptr[i + 1]]]

    counts[ring(centre), -1] += spike
    counts[ring(steady), :] += np.arange(12)[None, :] // 2 + 4
    return counts, weights, centre, steady


def patterns(counts: np.ndarray, weights: Any) -> list[Pattern]:
    return emerging.emerging_hot_spots(counts, weights, **emerging_parameters()).pattern_names()


def test_the_confidence_decides_whether_a_final_month_spike_is_new() -> None:
    counts, weights, centre, _steady = cube(spike=5)
    assert patterns(counts, weights)[centre] == Pattern.NEW_HOT
    with override_settings(INCIDENTS_EMERGING_CONFIDENCE="0.99"):
        assert patterns(counts, weights)[centre] == Pattern.NO_PATTERN


def test_the_trend_alpha_decides_intensifying_or_persistent() -> None:
    counts, weights, _centre, steady = cube(spike=5)
    assert patterns(counts, weights)[steady] == Pattern.INTENSIFYING_HOT
    with override_settings(INCIDENTS_EMERGING_TREND_ALPHA="0.000001"):
        assert patterns(counts, weights)[steady] == Pattern.PERSISTENT_HOT


def test_the_share_of_months_decides_what_is_frequent() -> None:
    hot = np.array([[False, False, *[True] * 8]])  # hot in 8 of the 10 months, to the end
    cold = np.zeros_like(hot)

    def classified() -> Pattern:
        share = emerging_parameters()["persistence"]
        return emerging.pattern_names(emerging.classify(hot, cold, [0], persistence=share))[0]

    assert classified() == Pattern.CONSECUTIVE_HOT  # 8 < 90 % of 10
    with override_settings(INCIDENTS_EMERGING_PERSISTENCE="0.8"):
        assert classified() == Pattern.PERSISTENT_HOT
    with override_settings(INCIDENTS_EMERGING_PERSISTENCE="4/5"):
        assert classified() == Pattern.PERSISTENT_HOT


def test_without_fdr_more_bins_are_significant() -> None:
    counts, weights, _centre, _steady = cube(spike=5)
    with_fdr = emerging.emerging_hot_spots(counts, weights, **emerging_parameters())
    with override_settings(INCIDENTS_EMERGING_FDR=False):
        without = emerging.emerging_hot_spots(counts, weights, **emerging_parameters())
    assert (without.hot | without.cold).sum() > (with_fdr.hot | with_fdr.cold).sum()
    assert not ((with_fdr.hot | with_fdr.cold) & ~(without.hot | without.cold)).any()


def test_the_time_lag_and_the_fewest_months() -> None:
    counts, weights, _centre, _steady = cube(spike=5)
    with override_settings(INCIDENTS_EMERGING_TIME_LAG=3):
        z = emerging.emerging_hot_spots(counts, weights, **emerging_parameters()).z
    assert np.array_equal(z, emerging.space_time_z(counts, weights, time_lag=3))
    with override_settings(INCIDENTS_EMERGING_MIN_MONTHS=13), pytest.raises(NotEnoughData) as exc:
        patterns(counts, weights)
    assert exc.value.reason == Reason.TOO_FEW_STEPS


@pytest.mark.django_db
def test_the_refresh_uses_the_settings(mapped: World) -> None:
    record_incidents(mapped.units["S1"], _scatter(mapped))
    refresh.refresh_maps(root=mapped.units["S1"], last_month=MONTH, months=6)
    first = set(CellTrend.objects.values_list("reason", flat=True))
    assert "" in first  # some maps classified (thin categories say why not)
    assert str(Reason.TOO_FEW_STEPS) not in first
    with override_settings(INCIDENTS_EMERGING_MIN_MONTHS=7):  # more than the 6 months kept
        refresh.refresh_maps(root=mapped.units["S1"], last_month=MONTH, months=6)
    latest = CellTrend.objects.filter(grid__run=MapRun.objects.latest("pk"))
    reasons = set(latest.values_list("reason", flat=True))
    assert "" not in reasons
    assert str(Reason.TOO_FEW_STEPS) in reasons


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INCIDENTS_EMERGING_CONFIDENCE", "1.5"),
        ("INCIDENTS_EMERGING_CONFIDENCE", "ninety"),
        ("INCIDENTS_EMERGING_TREND_ALPHA", "0"),
        ("INCIDENTS_EMERGING_PERSISTENCE", "0"),
        ("INCIDENTS_EMERGING_PERSISTENCE", "11/10"),
        ("INCIDENTS_EMERGING_PERSISTENCE", "1/0"),
        ("INCIDENTS_EMERGING_FDR", "yes"),
        ("INCIDENTS_EMERGING_TIME_LAG", -1),
        ("INCIDENTS_EMERGING_MIN_MONTHS", 1),
        ("INCIDENTS_EMERGING_MIN_MONTHS", "4"),
    ],
)
def test_a_bad_setting_is_refused_by_name(name: str, value: Any) -> None:
    with override_settings(**{name: value}):
        with pytest.raises(ImproperlyConfigured, match=name):
            emerging_parameters()
        errors = check_emerging_settings()
    assert [e.id for e in errors] == ["incidents.E001"]
    assert name in errors[0].msg
    assert check_emerging_settings() == []


@pytest.mark.django_db
def test_the_emerging_page_states_the_thresholds_in_force(mapped: World) -> None:
    client = login_verified(Client(), mapped.persona(Role.ANALYST))
    url = reverse("incidents:emerging")
    page = client.get(url).content.decode()
    assert "significant at 90 % confidence after the false discovery rate correction" in page
    assert "(tie-corrected, 5 %)" in page
    assert "at least 90 % of the months are significant" in page
    assert "in this month and the month before." in page
    with override_settings(
        INCIDENTS_EMERGING_CONFIDENCE="0.95",
        INCIDENTS_EMERGING_FDR=False,
        INCIDENTS_EMERGING_TREND_ALPHA="0.01",
        INCIDENTS_EMERGING_PERSISTENCE="4/5",
        INCIDENTS_EMERGING_TIME_LAG=2,
    ):
        changed = client.get(url).content.decode()
    assert "at 95 % confidence, without a false discovery rate correction" in changed
    assert "(tie-corrected, 1 %)" in changed
    assert "at least 80 % of the months are significant" in changed
    assert "in this month and the 2 months before." in changed
