import numpy as np
import numpy.typing as npt

HISTORY: int
MAX_RUN: int
RELOCATIONS: int
MAX_STOPS: int

def solve(
    dist_m: npt.ArrayLike,
    dur_s: npt.ArrayLike,
    early_s: npt.ArrayLike,
    late_s: npt.ArrayLike,
    service_s: npt.ArrayLike,
    start_s: int,
    end_by_s: int,
    initial: npt.ArrayLike,
    time_limit_s: float,
    seed: int,
    max_iterations: int = -1,
    history_length: int = ...,
    max_run: int = ...,
    relocations: int = ...,
) -> tuple[npt.NDArray[np.int64], int, int, int]: ...
