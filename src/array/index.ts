export { CellMapArray, DEFAULT_CACHE_BYTES, type CellMapArrayOptions, type ReadOptions, type SampleSpec } from "./cellmap-array.ts";
export { chunkKey, chunksInBox } from "./chunk-grid.ts";
export { resolveDevice, type DeviceChoice, type SampleDevice } from "./device.ts";
export { openMultiscale, type LevelInfo, type OpenedMultiscale } from "./open-multiscale.ts";
export { FILL_SLOT, SlotCache, type Acquired, type CacheStats, type LoadedChunk, type SlotCacheOptions } from "./slot-cache.ts";
export { storageKindForDtype, type StorageKind } from "../kernels/chunks/contract.ts";
