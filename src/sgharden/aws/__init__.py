"""The AWS edge: the only code that calls AWS. It never decides anything; the analysis never calls it."""
