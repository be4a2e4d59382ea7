package email

// Limits of ClassifyFiles's parallelism, for the tests that cross them.
const (
	MboxPerGoroutine = mboxPerGoroutine
	ClassifyChunk    = classifyChunk
)

// ChunkSize is chunkSize, for TestChunkSize.
var ChunkSize = chunkSize
