"""Liuqing (六情): community policing and grassroots governance."""

__version__ = "0.1.0"
