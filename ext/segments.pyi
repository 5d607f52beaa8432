import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

class GroupStats:
    count: npt.NDArray[np.int64]
    total: FloatArray
    sum_sq: FloatArray
    mean: FloatArray
    rms: FloatArray
    min: FloatArray
    max: FloatArray
    segment_m: float
    n_sub: int
    by_sub: bool
    def rollup(self, factor: int) -> GroupStats: ...

MAX_GROUPS: int

def checked_groups(n_segments: int, n_sub: int = 1) -> int: ...
def interp(x: npt.ArrayLike, xp: npt.ArrayLike, fp: npt.ArrayLike) -> FloatArray: ...
def resample_to_grid(
    distance_m: npt.ArrayLike, values: npt.ArrayLike, dx_m: float
) -> tuple[FloatArray, FloatArray]: ...
def segment_index(distance_m: npt.ArrayLike, segment_m: float = 10.0) -> npt.NDArray[np.int64]: ...
def segment_stats(
    distance_m: npt.ArrayLike,
    values: npt.ArrayLike,
    segment_m: float = 10.0,
    n_segments: int | None = None,
    sub: npt.ArrayLike | None = None,
    n_sub: int = 1,
    mask: npt.ArrayLike | None = None,
) -> GroupStats: ...
def classify(values: npt.ArrayLike, upper_bounds: npt.ArrayLike) -> npt.NDArray[np.int64]: ...
