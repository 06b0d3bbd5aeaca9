-- A token may expire (`POST /tokens {expires_at}`): from that instant it is refused as a revoked one is. NULL: never.
ALTER TABLE `api_tokens` ADD `expires_at` integer;
