from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Grid = tuple[float, float, float, int, int, npt.NDArray[np.int64], npt.NDArray[np.int32]]
MAX_CELLS: int

def build_grid(
    ax_m: npt.ArrayLike,
    ay_m: npt.ArrayLike,
    bx_m: npt.ArrayLike,
    by_m: npt.ArrayLike,
    cell_m: float,
) -> Grid: ...
def ubodt(
    indptr: npt.ArrayLike,
    edge_dst: npt.ArrayLike,
    edge_length_m: npt.ArrayLike,
    sources: npt.ArrayLike,
    delta_m: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], FloatArray, npt.NDArray[np.int32]]: ...
def candidates(
    px_m: npt.ArrayLike,
    py_m: npt.ArrayLike,
    ax_m: npt.ArrayLike,
    ay_m: npt.ArrayLike,
    bx_m: npt.ArrayLike,
    by_m: npt.ArrayLike,
    grid: Grid,
    radius_m: float,
    max_segments: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], FloatArray, FloatArray]: ...
def match(
    px_m: npt.ArrayLike,
    py_m: npt.ArrayLike,
    cand_ptr: npt.ArrayLike,
    cand_edge: npt.ArrayLike,
    cand_offset_m: npt.ArrayLike,
    cand_dist_m: npt.ArrayLike,
    edge_src: npt.ArrayLike,
    edge_dst: npt.ArrayLike,
    edge_length_m: npt.ArrayLike,
    table: tuple[Any, Any, Any, Any],
    sigma_m: float,
    beta_m: float,
    reverse_tol_m: float = ...,
) -> tuple[npt.NDArray[np.int64], FloatArray, npt.NDArray[np.int8]]: ...
