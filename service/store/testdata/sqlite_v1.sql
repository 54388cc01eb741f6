-- A corsd SQLite store of format version 1, as releases before the pending
-- table created it (sqlite_store.cc at 43d61cd^: InitSchema's create
-- statements), holding one tenant with an origin and an API host.
-- Opened by today's corsd in service/store/store_backend_test.cc.
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE tenants(id TEXT PRIMARY KEY, policy BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE entries(tenant TEXT NOT NULL, kind INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID;
INSERT INTO meta VALUES('format','corsd-store'),('version',1),('revision',2);
INSERT INTO tenants VALUES('shop',X'');
INSERT INTO entries VALUES('shop',1,'https://shop.example.com');
INSERT INTO entries VALUES('shop',3,'api.shop.example.com');
