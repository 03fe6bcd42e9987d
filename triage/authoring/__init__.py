"""Tools for content authors: validate, lint, explain, the authors' test cases, the catalogue.

None of these run when a person checks their answers; they read the same content model and
evaluate through the same `Triage` as `check` and `ask`.
"""
