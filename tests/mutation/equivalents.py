"""Survivors of the mutation harness, each argued equivalent or killed by a named test.

Keys are mutant ids as printed by ``python tests/mutation/mutate.py --list``
(``module:line:col:operator:replacement``).
"""

#: mutant id -> one-line argument why the mutant computes the same results.
EQUIVALENT: dict[str, str] = {}

#: mutant id -> the test (``file::name``) written to kill it.
KILLED_BY_NEW_TEST: dict[str, str] = {}
