import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

GOLDEN_CAR_K1: float
GOLDEN_CAR_K2: float
GOLDEN_CAR_C: float
GOLDEN_CAR_U: float
GOLDEN_CAR_SPEED_MPS: float
SLOPE_BASE_M: float
START_LENGTH_M: float
STANDARD_GRAVITY_MPS2: float

class RoughnessIndex:
    index: FloatArray
    rms_mps2: FloatArray
    mean_speed_mps: FloatArray
    count: npt.NDArray[np.int64]
    alpha: float
    segment_m: float

def golden_car_state_space() -> tuple[FloatArray, FloatArray]: ...
def expm(m: npt.ArrayLike) -> FloatArray: ...
def golden_car(dx_m: float, speed_mps: float = ...) -> tuple[FloatArray, FloatArray]: ...
def slope_steps(dx_m: float, base_m: float = ...) -> int: ...
def profile_slopes(profile_m: npt.ArrayLike, dx_m: float, base_m: float = ...) -> FloatArray: ...
def quarter_car_rectified(
    profile_m: npt.ArrayLike,
    dx_m: float,
    speed_mps: float = ...,
    base_m: float = ...,
    start_m: float = ...,
) -> FloatArray: ...
def iri_m_per_km(
    profile_m: npt.ArrayLike,
    dx_m: float,
    speed_mps: float = ...,
    base_m: float = ...,
    start_m: float = ...,
) -> float: ...
def iri_segments_m_per_km(
    profile_m: npt.ArrayLike,
    dx_m: float,
    segment_m: float,
    first_m: float = 0.0,
    speed_mps: float = ...,
    base_m: float = ...,
    start_m: float = ...,
) -> tuple[FloatArray, npt.NDArray[np.int64]]: ...
def accel_roughness(
    az_g: npt.ArrayLike,
    distance_m: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    sos: npt.ArrayLike,
    segment_m: float = 10.0,
    n_segments: int | None = None,
    alpha: float = 1.0,
    min_speed_mps: float = 3.0,
    mask: npt.ArrayLike | None = None,
    high_mps2: npt.ArrayLike | None = None,
) -> RoughnessIndex: ...
def highpass_mps2(az_g: npt.ArrayLike, sos: npt.ArrayLike) -> FloatArray: ...
def fit_calibration(
    index: npt.ArrayLike, iri_m_per_km: npt.ArrayLike
) -> tuple[float, float, float]: ...
def calibrated_iri(index: npt.ArrayLike, a: float, b: float) -> FloatArray: ...
