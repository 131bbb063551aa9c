"""The one exception type that reaches the command line as a one-line message."""

from __future__ import annotations

from collections.abc import Sequence


class InconsistencyError(ArithmeticError):
    """An internal cross-check of a computation failed (for example a count that must be
    an integer is not): the result is wrong, so a claim that meets it reports FAIL with
    this message as its reason (:meth:`residual_expansion.claims.base.Claim.run`).
    """


class UsageError(ValueError):
    """Bad input or a request beyond a method's limits.

    The message names what is wrong and what is allowed, in one line, and names the
    *Python* parameters it is about (``order must be >= 1``), never a command-line flag.
    ``parameters`` lists the parameter names the message mentions; the CLI prints the
    message with each of them replaced by its flag (``--order must be >= 1``) and exits
    with status 2.

    >>> e = UsageError("order must be >= 1, got 0", parameters=("order",))
    >>> str(e), e.parameters
    ('order must be >= 1, got 0', ('order',))
    """

    def __init__(self, message: str, *, parameters: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.parameters = tuple(parameters)
