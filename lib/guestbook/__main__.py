"""``python -m guestbook``: the ``guestbook`` console script."""

from guestbook.entry import main

if __name__ == "__main__":
    main()
