"""The Open311 GeoReport v2 wire layer: parameters in (`params`), documents out (`wire`),
errors (`errors`). No models and no database: the appeals views look things up and call these.
"""

from .errors import ErrorItem, ErrorKind, Open311Error
from .wire import render, render_error

__all__ = ["ErrorItem", "ErrorKind", "Open311Error", "render", "render_error"]
