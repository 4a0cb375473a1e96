// The public face of src/viz: neuroglancer links, batch figures, PNG encoding.
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
export { encodePng, type RgbaImage } from "./png.ts";
export { classColor, grayColormap, rampColormap, type Colormap, type Rgb } from "./colors.ts";
export { flowColor, sliceAxes } from "./flow-color.ts";
