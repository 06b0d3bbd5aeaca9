-- A named MCP server's version, raised by every save: its ETag, so a PUT or DELETE with If-Match cannot undo a
-- change (a rotated credential) it never saw, and a PUT with If-None-Match: * cannot replace a server it did not know.
ALTER TABLE `mcp_servers` ADD `version` integer DEFAULT 1 NOT NULL;
