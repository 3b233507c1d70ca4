"""The PySide6 desktop app: the drawing window, its widgets and the recognition worker.

Recognition runs batch-1 convolutions: small matrix products that a multi-threaded BLAS makes
slower, not faster, and whose spinning threads fight the GUI thread for the CPU (measured on a
busy 2-core machine: 31.8 ms per forward pass with OpenBLAS threads, 0.7 ms with one). The app
therefore asks for single-threaded BLAS; this only takes effect when numpy is not imported yet
(the `ocrpad` entry point imports this package first). An explicit setting by the user wins.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
