"""`python -m recipes`: the `keras-recipes` command line."""

import sys

from recipes.cli import main

if __name__ == "__main__":
    sys.exit(main())
