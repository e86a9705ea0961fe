export * from './export.js';
export * from './render.js';
