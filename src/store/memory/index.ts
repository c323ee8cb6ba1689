/** The in-memory reference store (for tests and for trying things out). */
export { MemoryStore } from './memory-store.js';
export { MemoryBlobStore } from './memory-blobs.js';
export { createMemoryState, type MemoryState } from './memory-state.js';
