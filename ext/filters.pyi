from typing import overload

import numpy as np
import numpy.typing as npt

@overload
def sosfilt(sos: npt.ArrayLike, x: npt.ArrayLike, zi: None = None) -> npt.NDArray[np.float64]: ...
@overload
def sosfilt(
    sos: npt.ArrayLike, x: npt.ArrayLike, zi: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def sosfilt_zi(sos: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
