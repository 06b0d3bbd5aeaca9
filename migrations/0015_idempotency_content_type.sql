-- The media type of the answer an Idempotency-Key keeps: a streamed (SSE) answer is replayed as one, not as JSON.
ALTER TABLE `idempotency_keys` ADD `content_type` text;
