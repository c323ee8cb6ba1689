/** Blob stores: immutable message bodies as files (used by the SQLite backend). */
export { blobIdOf, FileBlobStore, fsyncDir, newBlobId, shards } from './file-blobs.js';
export { Coalesced } from './coalesced.js';
