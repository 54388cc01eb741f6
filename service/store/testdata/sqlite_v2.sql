-- A corsd SQLite store of format version 2, as the releases with the
-- pending table and before custom domains created it (sqlite_store.cc at
-- ddfe206: InitSchema's create statements), holding one tenant with an
-- origin and an API host. Opened by today's corsd in
-- service/store/store_backend_test.cc.
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE tenants(id TEXT PRIMARY KEY, policy BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE entries(tenant TEXT NOT NULL, kind INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID;
CREATE TABLE pending(revision INTEGER PRIMARY KEY, batch BLOB NOT NULL);
INSERT INTO meta VALUES('format','corsd-store'),('version',2),('revision',2);
INSERT INTO tenants VALUES('shop',X'');
INSERT INTO entries VALUES('shop',1,'https://shop.example.com');
INSERT INTO entries VALUES('shop',3,'api.shop.example.com');
