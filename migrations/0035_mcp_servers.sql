-- An organization's named MCP servers: agents reach one as `mcp:<name>`, and its headers (credentials) are sent
-- only to its URL's origin. `headers` is the sealed JSON of the header values (lib/secret-box.ts), never returned;
-- `header_names` holds each header's name and keyed fingerprint, which is all the API shows of them.
CREATE TABLE `mcp_servers` (
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`headers` text,
	`header_names` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`org_id`, `name`)
);
