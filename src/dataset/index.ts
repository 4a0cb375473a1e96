/**
 * The dataset API: {@link CellMapDataset}, {@link CellMapMultiDataset}, {@link CellMapSubset},
 * {@link CellMapDataSplit} and {@link CellMapDataLoader}, with their sampling geometry, samplers
 * and class statistics.
 * @module
 */
export { ArrayRegistry, type ArrayRegistryOptions } from "./array-registry.ts";
export { BatchBufferPool } from "../batch/buffers.ts";
export { readBatch, type BatchItem, type ReadBatchOptions, type ReadBatchResult } from "./batch.ts";
export { classWeightsFrom, countLabels, countsFromAnnotation, type ClassCount, type ClassCounts } from "./class-counts.ts";
export { joinPath, parseCsvRows, parseDatasplitCsv, readText, type DatasetDict, type DatasplitEntry } from "./csv.ts";
export { CellMapDataLoader, type Batch, type DataLoaderOptions, type DataLoaderStats } from "./dataloader.ts";
export { CellMapDataset, splitTargetPath, type ArrayOpenOptions, type CellMapDatasetOptions, type SamplePlan } from "./dataset.ts";
export { CellMapDataSplit, type CellMapDataSplitOptions, type SkippedDataset } from "./datasplit.ts";
export { CellMapMultiDataset } from "./multidataset.ts";
export { createIndexStream, Permutation, type IndexStream, type SamplerKind, type StreamOptions } from "./samplers.ts";
export { arrayBounds, intersectBoxes, SamplingGrid, type IndexList, type SamplingGridOptions, type WorldBox } from "./sampling-geometry.ts";
export { CellMapSubset, type SubsetIndices } from "./subset.ts";
export { openSlicedDatasets, type SlicedDatasetsOptions } from "./sliced-datasets.ts";
export { arrayHasSingletonDim, isArray2D, permuteSingletonDimension, planeToWorld, sliceFrame, slicedShape, SLICING_AXES } from "./slicing.ts";
export type { CellposeTargetSpec } from "./derived-targets.ts";
export type { ArrayData, ArrayRequest, ArraySpec, CellposeTargetOptions, TargetArrayRequest, DatasetItem, GetOptions, GpuArrayData, SampleGroup, SampleSource } from "./types.ts";
export {
  CellMapDatasetWriter,
  type DatasetWriterOptions,
  type GpuPrediction,
  type Prediction,
  type ReadWriteTarget,
  type WorldBounds,
  type WorldRange,
  type WriterArraySpec,
  type WriterBatch,
  type WriterInputOptions,
  type WriterItem,
  type WriterLoader,
  type WriterLoaderOptions,
  type WriterProgress,
  type WriterTile,
} from "./writer.ts";
