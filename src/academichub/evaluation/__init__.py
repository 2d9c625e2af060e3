"""The evaluation harness: time-split protocols, baselines and metrics on a corpus JSONL."""
