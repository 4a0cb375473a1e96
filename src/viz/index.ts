export {
  arrayNeuroglancerState,
  arrayNeuroglancerUrl,
  datasetNeuroglancerState,
  datasetNeuroglancerUrl,
  NEUROGLANCER_DEMO,
  neuroglancerSource,
  neuroglancerState,
  neuroglancerUrl,
  type ArrayNeuroglancerOptions,
  type DatasetNeuroglancerOptions,
  type NeuroglancerDataset,
  type NeuroglancerLayerKind,
  type NeuroglancerLayerSpec,
  type NeuroglancerLayerState,
  type NeuroglancerState,
  type NeuroglancerStateOptions,
} from "./neuroglancer.ts";
export { imageDict, imageGrid, type GridArray, type GridColumn, type ImageGrid, type ImageGridOptions, type ImageGridSource } from "./image-grid.ts";
export { crc32, encodePng, type RgbaImage } from "./png.ts";
export { classColor, grayColormap, rampColormap, rgbHex, type Colormap, type Rgb } from "./colors.ts";
