"""`python -m liuqing …` is the `liuqing` command."""

from liuqing.cli import main

raise SystemExit(main())
