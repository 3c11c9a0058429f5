// Package compress detects gzip and zlib streams by their content and
// decompresses them within a limit. Images and block sources may be
// compressed (albatross ships images compressed with zlib, Vmm_compress;
// see issue 11): config hashes the decompressed stream, platform stores it
// and the block commands import it, all through Open. It is a leaf.
package compress
