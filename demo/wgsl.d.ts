// WGSL sources imported as text (Vite's `?raw` suffix).
declare module "*.wgsl?raw" {
  const source: string;
  export default source;
}
