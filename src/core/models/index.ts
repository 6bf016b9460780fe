/** Getting models: the cache, URL downloads, torchvision export, the catalog, preprocessing. */
export * from './cache';
export * from './catalog';
export * from './download';
export * from './onnxInspect';
export * from './preprocessing';
export * from './torchExport';
export * from './ref';
export * from './resolve';
