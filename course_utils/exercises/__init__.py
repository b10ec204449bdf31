"""Checkers for the notebooks' exercises, one module per notebook or topic.

Each ``check_*`` function takes the learner's answer, runs it against a
reference at fixed inputs, prints one ``correct: ...`` line when it matches and
otherwise raises :class:`course_utils.CheckFailed` saying what is wrong (which
output or gradient, the largest difference, where).
"""
