"""Figures computed from records: pure functions over numpy arrays, no Django.

Selectors in the modules fetch rows (scoped to the acting member) as arrays; the functions here
turn them into figures (`rates.Rate` keeps numerator and denominator for hover and export).
Nothing here imports Django, so the formulas can be tested and benchmarked alone and moved to a
bigger engine later (a test checks it).
"""
