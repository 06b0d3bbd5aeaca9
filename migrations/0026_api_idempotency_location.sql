-- A replayed 201 says where its resource is, as the first answer did.
ALTER TABLE `idempotency_keys` ADD `location` text;
