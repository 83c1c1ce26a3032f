"""Liuqing's management commands, run through the `liuqing` command (liuqing.cli)."""
