export { ViewerKind, ViewerType } from './viewer.types.js';
