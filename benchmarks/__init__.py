"""Benchmarks: quality (SciFact, SQuAD, abstention, follow-ups) and speed."""
