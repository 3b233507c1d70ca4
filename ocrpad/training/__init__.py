"""Training machinery shared by `ocrpad.train.fit` and `fine_tune`: batches, steps, checkpoints."""
