import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

Z_THRESH: int
Z_DIFF: int
STDEV_Z: int
EARTH_RADIUS_M: float

class PotholeEvents:
    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]
    peak: npt.NDArray[np.int64]
    position_m: FloatArray
    peak_g: FloatArray
    hits: npt.NDArray[np.int64]
    methods: npt.NDArray[np.uint8]
    def __len__(self) -> int: ...

class Clusters:
    label: npt.NDArray[np.int64]
    lat_deg: FloatArray
    lon_deg: FloatArray
    count: npt.NDArray[np.int64]
    sessions: npt.NDArray[np.int64] | None
    def __len__(self) -> int: ...

def moving_std(x: npt.ArrayLike, window: int) -> FloatArray: ...
def pothole_flags(
    az_g: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    z_thresh_g: float | None = None,
    z_diff_g: float | None = None,
    stdev_g: float | None = None,
    window: int = 10,
    min_speed_mps: float = 3.0,
) -> npt.NDArray[np.uint8]: ...
def pothole_events(
    flags: npt.ArrayLike,
    az_g: npt.ArrayLike,
    distance_m: npt.ArrayLike,
    merge_m: float = 2.0,
    methods: int = 7,
) -> PotholeEvents: ...
def detect_potholes(
    az_g: npt.ArrayLike,
    speed_mps: npt.ArrayLike,
    distance_m: npt.ArrayLike,
    z_thresh_g: float | None = 0.4,
    z_diff_g: float | None = None,
    stdev_g: float | None = None,
    window: int = 10,
    min_speed_mps: float = 3.0,
    merge_m: float = 2.0,
) -> PotholeEvents: ...
def cluster_detections(
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    radius_m: float = 5.0,
    session: npt.ArrayLike | None = None,
) -> Clusters: ...
