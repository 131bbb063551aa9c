"""The one exception type that reaches the command line as a one-line message."""


class UsageError(ValueError):
    """Bad input or a request beyond a method's limits.

    The message names what is wrong and what is allowed, in one line; the CLI prints it
    to stderr and exits with status 2.
    """
