-- 0014: mark the file as orgd's in the SQLite header's application id ("orgd" in ASCII), so
-- that a start-up on another application's database is refused (see checkFile) and tools
-- such as file(1) can tell what the file is. Databases from before carry 0 and are known by
-- their schema_migrations table.

PRAGMA application_id = 1869768548;
