/**
 * Python: the expected dataset sample of one case by scipy, shared by test/dataset.test.ts and
 * test/deform.test.ts (their fixtures place raw at translation (4, 2, 2) and the mito crop at
 * (44, 42, 46), both at (8, 4, 4) nm, and save them as raw.npy and mito.npy).
 *
 * `expected_sample(vol, c, displace=None, tie_tol=1e-6)` takes a case `c` (`shape`, `scale`, `A`
 * row-major, `center`, `array` "raw" or "mito"), reads output voxel j at
 * `center + A (o + displace(o))` with `o = (j - (n - 1) / 2) * scale` (no displacement when
 * `displace` is None), by `map_coordinates` order 1 (raw, pad 0) or order 0 (labels, NaN
 * outside the crop). It returns (expected, mask, v): mask leaves out label voxels on a nearest
 * tie (within `tie_tol`) or in the half-voxel band at the crop's edge, v the source positions.
 */
export const SAMPLE_ORACLE_PY = `
import numpy as np
from scipy import ndimage
GEO = {"raw": (np.array([4.0, 2, 2]), np.array([8.0, 4, 4])), "mito": (np.array([44.0, 42, 46]), np.array([8.0, 4, 4]))}
def expected_sample(vol, c, displace=None, tie_tol=1e-6):
    n = np.array(c["shape"]); s = np.array(c["scale"], dtype=np.float64)
    A = np.array(c["A"], dtype=np.float64).reshape(3, 3)
    j = np.stack(np.meshgrid(*[np.arange(q) for q in n], indexing="ij"), 0).reshape(3, -1).astype(np.float64)
    o = (j - ((n - 1) / 2)[:, None]) * s[:, None]
    if displace is not None:
        o = o + displace(o)
    p = np.array(c["center"], dtype=np.float64)[:, None] + A @ o
    t, sl = GEO[c["array"]]
    v = (p - t[:, None]) / sl[:, None]
    N = np.array(vol[c["array"]].shape)[:, None]
    if c["array"] == "raw":
        e = ndimage.map_coordinates(vol["raw"], v, order=1, mode="constant", cval=0.0)
        mask = np.ones(e.shape, bool)
    else:
        e = ndimage.map_coordinates(vol["mito"], v, order=0, mode="constant", cval=0.0)
        outside = np.any((v < -0.5) | (v >= N - 0.5), axis=0)
        e[outside] = np.nan
        frac = v - np.floor(v)
        tie = np.any(np.abs(frac - 0.5) < tie_tol, axis=0)
        band = np.any(((v >= -0.5) & (v < 0)) | ((v > N - 1) & (v < N - 0.5)), axis=0)
        mask = ~(tie | band)
    return e, mask, v
`;
