"""The eval suite: versioned tasks (tasks/), runner, ragas metrics, reports and a gate (docs/evals.md)."""
